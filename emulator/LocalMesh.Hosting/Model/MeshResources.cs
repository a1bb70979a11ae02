namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The service mesh: the control plane that compiles the model's services, workloads and
/// policies and the data plane (sidecars and gateways) that carries every call between them.
/// </summary>
/// <param name="name">The resource name, also the <c>service.name</c> of the mesh's telemetry.</param>
public sealed class MeshResource(string name) : Resource(name)
{
    /// <summary>The registry the export's images are named in when none is set.</summary>
    public const string DefaultImageRegistry = "localmesh";

    /// <summary>The image tag when none is set.</summary>
    public const string DefaultImageTag = "dev";

    /// <summary>The namespace of every service and workload, as exported to Kubernetes.</summary>
    public string Namespace { get; set; } = LocalMesh.Emulator.Configuration.MeshConfig.DefaultNamespace;

    /// <summary>The registry project images are named in: <c>&lt;registry&gt;/&lt;project&gt;:&lt;tag&gt;</c>.</summary>
    public string ImageRegistry { get; set; } = DefaultImageRegistry;

    /// <summary>The tag of project images.</summary>
    public string ImageTag { get; set; } = DefaultImageTag;
}

/// <summary>
/// A mesh service (a Kubernetes <c>Service</c>): a stable name that callers reference with
/// <c>WithReference</c>, served by every workload added with <c>WithWorkload</c>.
/// </summary>
/// <param name="name">The service name; workloads get the label <c>app=&lt;name&gt;</c>.</param>
/// <param name="mesh">The mesh it belongs to.</param>
public sealed class MeshServiceResource(string name, MeshResource mesh)
    : Resource(name), IMeshServiceResource
{
    /// <summary>The name of the service's only endpoint, unless its workloads serve TCP (then <c>tcp</c>).</summary>
    public const string EndpointName = "http";

    /// <inheritdoc />
    public MeshResource Parent { get; } = mesh;

    /// <summary>The service's only endpoint: <c>http</c>, or <c>tcp</c> when its workloads serve TCP.</summary>
    public EndpointReference Endpoint => new(this, Annotations.OfType<EndpointAnnotation>().Single());

    /// <summary>The service port, as callers in a cluster address it (Kubernetes Service <c>port</c>).</summary>
    public int Port { get; set; } = LocalMesh.Emulator.Configuration.MeshServiceConfig.DefaultPort;

    /// <summary>The workloads serving this service, in the order they were added.</summary>
    public IReadOnlyList<IResource> Workloads => WorkloadList;

    internal List<IResource> WorkloadList { get; } = [];
}

/// <summary>
/// An ingress gateway: the mesh's door for traffic from outside (a browser, a test), on a
/// fixed loopback port.
/// </summary>
/// <param name="name">The gateway's name, also its workload name in telemetry.</param>
/// <param name="mesh">The mesh it belongs to.</param>
public sealed class IngressGatewayResource(string name, MeshResource mesh)
    : Resource(name), IResourceWithParent<MeshResource>, IResourceWithEndpoints
{
    /// <summary>The name of the gateway's only endpoint.</summary>
    public const string EndpointName = "http";

    /// <inheritdoc />
    public MeshResource Parent { get; } = mesh;

    /// <summary>The path a person starts from, shown with the gateway's address (default <c>/</c>).</summary>
    public string LandingPath { get; set; } = "/";

    /// <summary>The gateway's address with <see cref="LandingPath"/>, e.g. <c>http://localhost:9080/productpage</c>; known once the mesh runs.</summary>
    public string LandingUrl => this.GetEndpoint(EndpointName).Url + (LandingPath == "/" ? "" : LandingPath);
}

/// <summary>
/// Something callers address by name through the mesh: a <see cref="MeshServiceResource"/> or a
/// <see cref="FunctionResource"/>. A reference to one goes through the caller's outbound sidecar.
/// </summary>
public interface IMeshServiceResource : IResourceWithParent<MeshResource>, IResourceWithServiceDiscovery;

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

/// <summary>
/// A Knative Eventing broker: publishers POST CloudEvents to it (binary or structured mode) and
/// its triggers deliver each event to the services and functions whose filter matches.
/// </summary>
/// <param name="name">The broker's name.</param>
/// <param name="mesh">The mesh it belongs to.</param>
public sealed class BrokerResource(string name, MeshResource mesh)
    : Resource(name), IResourceWithParent<MeshResource>, IResourceWithServiceDiscovery
{
    /// <summary>The name of the broker's only endpoint.</summary>
    public const string EndpointName = "http";

    /// <inheritdoc />
    public MeshResource Parent { get; } = mesh;
}

/// <summary>
/// The real Prometheus, run as a resource of the app where it is installed: it scrapes the mesh's
/// metrics endpoint and evaluates the model's alert rules, as the cluster's Prometheus evaluates the
/// exported PrometheusRules.
/// </summary>
/// <param name="name">The resource's name.</param>
/// <param name="command">The <c>prometheus</c> executable.</param>
/// <param name="workingDirectory">Where its configuration, rules and storage are, for this run only.</param>
/// <param name="mesh">The mesh whose metrics it scrapes.</param>
public sealed class PrometheusResource(string name, string command, string workingDirectory, MeshResource mesh)
    : ExecutableResource(name, command, workingDirectory), IResourceWithParent<MeshResource>
{
    /// <summary>The endpoint of its web UI and API.</summary>
    public const string EndpointName = "http";

    /// <inheritdoc />
    public MeshResource Parent { get; } = mesh;
}
