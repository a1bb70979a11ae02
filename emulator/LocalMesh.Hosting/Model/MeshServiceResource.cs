namespace Aspire.Hosting.ApplicationModel;

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
