using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;

namespace Aspire.Hosting;

/// <summary>Adds functions (Knative Serving) and brokers with triggers (Knative Eventing) to the mesh.</summary>
public static class MeshServerlessBuilderExtensions
{
    /// <summary>The header that picks a tagged revision (Knative's tag-header-based routing).</summary>
    public const string TagHeader = "knative-serving-tag";

    /// <summary>
    /// Adds a function implemented by project <typeparamref name="TProject"/>. It has no instance
    /// until called (unless <c>initial-scale</c> or <c>min-scale</c> say otherwise); the first call
    /// waits in the activator while one starts. Callers reference it like a mesh service.
    /// </summary>
    /// <typeparam name="TProject">The project, as the AppHost's project reference names it.</typeparam>
    /// <param name="mesh">The mesh.</param>
    /// <param name="name">The function's name (Knative Service name); its first revision is <c>&lt;name&gt;-00001</c>.</param>
    /// <example>
    /// <code>
    /// var sentiment = mesh.AddFunction&lt;Projects.Sentiment&gt;("sentiment")
    ///     .WithScaling(new FunctionScaling { ContainerConcurrency = 10, MaxScale = 3, Window = TimeSpan.FromSeconds(6) });
    /// reviews.WithReference(sentiment);
    /// </code>
    /// </example>
    public static IResourceBuilder<FunctionResource> AddFunction<TProject>(this IResourceBuilder<MeshResource> mesh, [ResourceName] string name)
        where TProject : IProjectMetadata, new()
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var function = new FunctionResource(name, mesh.Resource, new TProject()) { ApplicationBuilder = mesh.ApplicationBuilder };
        return mesh.AddMeshChild(function, "Function")
            .WithAnnotation(new FunctionRevisionAnnotation(FunctionResource.RevisionName(name, 1), ImmutableDictionary<string, string>.Empty))
            .WithOtlpExporter()
            .WithManifestPublishingCallback(context => MeshManifest.WriteFunctionAsync(context, function));
    }

    /// <summary>Sets the function's scaling for every revision; see <see cref="FunctionScaling"/> for Knative's names and defaults.</summary>
    /// <param name="function">The function.</param>
    /// <param name="scaling">The settings.</param>
    public static IResourceBuilder<FunctionResource> WithScaling(this IResourceBuilder<FunctionResource> function, FunctionScaling scaling)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(scaling);
        return function.WithAnnotation(new FunctionScalingAnnotation(scaling), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Adds a revision: the function's configuration with <paramref name="environment"/> set over
    /// it. Without traffic targets, the latest revision takes all traffic.
    /// </summary>
    /// <param name="function">The function.</param>
    /// <param name="environment">What this revision changes.</param>
    /// <param name="name">The revision's name; defaults to the next <c>&lt;function&gt;-0000N</c>.</param>
    /// <example>
    /// <code>
    /// sentiment.WithRevision(new Dictionary&lt;string, string&gt; { ["LEXICON"] = "extended" })
    ///     .WithTraffic("sentiment-00001", 100)
    ///     .WithTraffic("sentiment-00002", 0, tag: "canary");
    /// </code>
    /// </example>
    public static IResourceBuilder<FunctionResource> WithRevision(
        this IResourceBuilder<FunctionResource> function, IReadOnlyDictionary<string, string> environment, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(environment);
        var number = function.Resource.Annotations.OfType<FunctionRevisionAnnotation>().Count() + 1;
        return function.WithAnnotation(new FunctionRevisionAnnotation(name ?? FunctionResource.RevisionName(function.Resource.Name, number), environment.ToImmutableDictionary()));
    }

    /// <summary>Sends <paramref name="percent"/> of the function's traffic to <paramref name="revision"/>, and with a tag, gives it its own route.</summary>
    /// <param name="function">The function.</param>
    /// <param name="revision">The revision, or <c>null</c> for the latest one (Knative's <c>latestRevision: true</c>).</param>
    /// <param name="percent">Its share; the targets must sum to 100.</param>
    /// <param name="tag">A tag; requests with header <c>knative-serving-tag: &lt;tag&gt;</c> go to this revision only.</param>
    public static IResourceBuilder<FunctionResource> WithTraffic(
        this IResourceBuilder<FunctionResource> function, string? revision, int percent, string? tag = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return function.WithAnnotation(new FunctionTrafficAnnotation(revision, percent, tag));
    }

    /// <summary>Adds a broker; publishers reference it with <c>WithReference</c> and POST CloudEvents to it.</summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="name">The broker's name.</param>
    /// <example>
    /// <code>
    /// var events = mesh.AddBroker("events")
    ///     .WithTrigger("review-posted", notifier, new Dictionary&lt;string, string&gt; { ["type"] = "com.example.review.posted" });
    /// reviews.WithReference(events);
    /// </code>
    /// </example>
    public static IResourceBuilder<BrokerResource> AddBroker(this IResourceBuilder<MeshResource> mesh, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var broker = new BrokerResource(name, mesh.Resource);
        return mesh.AddMeshChild(broker, "Broker")
            .WithManifestPublishingCallback(context => MeshManifest.WriteBroker(context, broker));
    }

    /// <summary>Sets the broker's delivery (retries, back-off, dead-letter sink) for triggers that set none.</summary>
    /// <param name="broker">The broker.</param>
    /// <param name="delivery">The settings.</param>
    public static IResourceBuilder<BrokerResource> WithDelivery(this IResourceBuilder<BrokerResource> broker, DeliverySpec delivery)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(delivery);
        return broker.WithAnnotation(new BrokerDeliveryAnnotation(delivery), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Adds a trigger: events whose attributes equal every entry of <paramref name="filter"/> are
    /// delivered to <paramref name="subscriber"/> (POST, binary mode), through the mesh.
    /// </summary>
    /// <param name="broker">The broker.</param>
    /// <param name="name">The trigger's name.</param>
    /// <param name="subscriber">The service or function that gets the events.</param>
    /// <param name="filter">Attribute values to match exactly, e.g. <c>type</c>; none matches everything.</param>
    /// <param name="delivery">Retries, back-off and dead-letter sink; <c>null</c> takes the broker's.</param>
    /// <param name="path">The path to post to on the subscriber; <c>/</c> by default.</param>
    public static IResourceBuilder<BrokerResource> WithTrigger<T>(
        this IResourceBuilder<BrokerResource> broker,
        string name,
        IResourceBuilder<T> subscriber,
        IReadOnlyDictionary<string, string>? filter = null,
        DeliverySpec? delivery = null,
        string? path = null)
        where T : IMeshServiceResource
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(subscriber);
        return broker.WithAnnotation(new BrokerTriggerAnnotation(new TriggerConfig(name, subscriber.Resource.Name)
        {
            Filter = (filter ?? ImmutableDictionary<string, string>.Empty).ToImmutableDictionary(),
            Delivery = delivery,
            Path = path,
        }));
    }
}
