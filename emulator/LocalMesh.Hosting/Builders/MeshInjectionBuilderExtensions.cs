using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Hosting;

namespace Aspire.Hosting;

/// <summary>
/// Sidecars for every resource of the app with one call, as Istio injects them into every pod of
/// a labelled namespace: an existing AppHost (<c>webfrontend.WithReference(apiservice)</c>) runs
/// through the mesh unchanged. <c>AddService</c> and <c>WithWorkload</c> stay for several versions
/// behind one service name; both styles mix in one app.
/// </summary>
public static class MeshInjectionBuilderExtensions
{
    /// <summary>
    /// Puts every project and executable that has an HTTP endpoint into the mesh: each becomes the
    /// workload of a mesh service of its own name (labels <c>app=&lt;name&gt;</c>, <c>version=v1</c>),
    /// and every reference between two of them goes through the caller's outbound sidecar.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithAutomaticSidecars();
    /// var api = builder.AddProject&lt;Projects.ApiService&gt;("apiservice").WithReplicas(3);
    /// builder.AddProject&lt;Projects.Web&gt;("webfrontend").WithReference(api);   // through the mesh
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithAutomaticSidecars(this IResourceBuilder<MeshResource> mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        if (mesh.Resource.Annotations.OfType<MeshAutomaticSidecarsAnnotation>().Any())
        {
            return mesh;
        }

        // An injected resource is a mesh service like any other: in the dashboard it gets a service's commands.
        mesh.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            AddServiceCommands(mesh.ApplicationBuilder, @event.Model, mesh.Resource);
            return Task.CompletedTask;
        });
        return mesh.WithAnnotation(new MeshAutomaticSidecarsAnnotation());
    }

    /// <summary>Gives each resource the mesh injects the commands of the mesh service it is.</summary>
    internal static void AddServiceCommands(IDistributedApplicationBuilder app, DistributedApplicationModel model, MeshResource mesh)
    {
        foreach (var resource in MeshInjection.Injectable(model, mesh))
        {
            app.CreateResourceBuilder(resource).WithFaultCommands();
        }
    }

    /// <summary>
    /// Keeps a workload's replica down when it exits. By default the mesh starts a meshed replica
    /// that exits while running again, after Kubernetes' crash-loop back-off (10 s, doubling, at
    /// most 5 min), as a Deployment restarts its pods.
    /// </summary>
    /// <param name="resource">The resource.</param>
    /// <example>
    /// <code>
    /// builder.AddProject&lt;Projects.Worker&gt;("worker").WithoutRestarts();   // debug why it exits
    /// </code>
    /// </example>
    public static IResourceBuilder<T> WithoutRestarts<T>(this IResourceBuilder<T> resource) where T : IResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.WithAnnotation(new MeshRestartsDisabledAnnotation(), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>Keeps the resource out of the mesh: no sidecar, and the calls to and from it are direct.</summary>
    /// <param name="resource">The resource.</param>
    public static IResourceBuilder<T> WithoutSidecar<T>(this IResourceBuilder<T> resource) where T : IResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.WithAnnotation(new MeshSidecarExcludedAnnotation(), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>Sets the <c>version</c> label the mesh gives the resource when it injects it (default <c>v1</c>).</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="version">The version, a Kubernetes label value.</param>
    public static IResourceBuilder<T> WithMeshVersion<T>(this IResourceBuilder<T> resource, string version) where T : IResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        var current = resource.Resource.Annotations.OfType<MeshInjectionAnnotation>().LastOrDefault();
        return resource.WithAnnotation(new MeshInjectionAnnotation(version, current?.Labels ?? ImmutableDictionary<string, string>.Empty), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>Adds labels the mesh gives the resource when it injects it, for subsets and <c>sourceLabels</c> to select on.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="labels">The labels.</param>
    public static IResourceBuilder<T> WithMeshLabels<T>(this IResourceBuilder<T> resource, IReadOnlyDictionary<string, string> labels) where T : IResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(labels);
        var current = resource.Resource.Annotations.OfType<MeshInjectionAnnotation>().LastOrDefault();
        return resource.WithAnnotation(new MeshInjectionAnnotation(current?.Version, (current?.Labels ?? ImmutableDictionary<string, string>.Empty).SetItems(labels)),
            ResourceAnnotationMutationBehavior.Replace);
    }
}
