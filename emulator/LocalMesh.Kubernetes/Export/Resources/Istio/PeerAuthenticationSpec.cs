namespace LocalMesh.Kubernetes.Export;

internal sealed class PeerAuthenticationSpec
{
    public IstioSelector? Selector { get; set; }
    public IstioMtls? Mtls { get; set; }
    public Dictionary<int, IstioMtls>? PortLevelMtls { get; set; }
    public object? TargetRef { get; set; }
    public object? TargetRefs { get; set; }
}
