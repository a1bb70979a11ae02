namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A function (a Knative Service): a small HTTP project the mesh starts on demand. Its inbound
/// side is the activator, which holds requests while an instance starts, enforces
/// <c>containerConcurrency</c>, scales instances with demand and stops the last one when idle.
/// Each revision is a workload; traffic splits over revisions by percent, and a tag gives a
/// revision its own route.
/// </summary>
/// <param name="name">The function's name, also its Knative Service name.</param>
/// <param name="mesh">The mesh it belongs to.</param>
/// <param name="project">The project that implements it.</param>
public sealed class FunctionResource(string name, MeshResource mesh, IProjectMetadata project)
    : Resource(name), IMeshServiceResource, IResourceWithEnvironment
{
    /// <summary>The name of the function's only endpoint.</summary>
    public const string EndpointName = "http";

    /// <inheritdoc />
    public MeshResource Parent { get; } = mesh;

    /// <summary>The project that implements the function.</summary>
    public IProjectMetadata Project { get; } = project;

    /// <summary>The app's builder, which the instances are added to as projects when they run through the orchestrator.</summary>
    internal IDistributedApplicationBuilder? ApplicationBuilder { get; init; }

    /// <summary>Knative's name for revision <paramref name="number"/> of <paramref name="function"/>, e.g. <c>sentiment-00001</c>.</summary>
    public static string RevisionName(string function, int number) => $"{function}-{number:D5}";
}

/// <summary>
/// A function's revision, shown in the dashboard when its instances are resources of the app (under
/// an IDE): its state is the revision's (idle at zero, starting, running), its children the instances.
/// </summary>
/// <param name="name">The revision's name, e.g. <c>sentiment-00001</c>.</param>
/// <param name="function">The function it is a revision of.</param>
internal sealed class FunctionRevisionResource(string name, FunctionResource function) : Resource(name), IResourceWithParent<FunctionResource>
{
    /// <inheritdoc />
    public FunctionResource Parent { get; } = function;
}
