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
