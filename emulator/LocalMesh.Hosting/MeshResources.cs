namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The service mesh: the control plane that compiles the model's services, workloads and
/// policies and the data plane (sidecars and gateways) that carries every call between them.
/// </summary>
/// <param name="name">The resource name, also the <c>service.name</c> of the mesh's telemetry.</param>
public sealed class MeshResource(string name) : Resource(name)
{
    /// <summary>The namespace of every service and workload, as exported to Kubernetes.</summary>
    public string Namespace { get; set; } = LocalMesh.Emulator.Configuration.MeshConfig.DefaultNamespace;
}

/// <summary>
/// A mesh service (a Kubernetes <c>Service</c>): a stable name that callers reference with
/// <c>WithReference</c>, served by every workload added with <c>WithWorkload</c>.
/// </summary>
/// <param name="name">The service name; workloads get the label <c>app=&lt;name&gt;</c>.</param>
/// <param name="mesh">The mesh it belongs to.</param>
public sealed class MeshServiceResource(string name, MeshResource mesh)
    : Resource(name), IResourceWithParent<MeshResource>, IResourceWithServiceDiscovery
{
    /// <summary>The name of the service's only endpoint.</summary>
    public const string EndpointName = "http";

    /// <inheritdoc />
    public MeshResource Parent { get; } = mesh;

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
}
