namespace LocalMesh.Kubernetes.Export;

internal sealed class GatewaySpecification
{
    public Dictionary<string, string> Selector { get; set; } = [];
    public List<IstioServer> Servers { get; set; } = [];
}
