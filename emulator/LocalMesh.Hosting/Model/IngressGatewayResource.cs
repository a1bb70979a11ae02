namespace Aspire.Hosting.ApplicationModel;

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
