namespace Aspire.Hosting.ApplicationModel;

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
