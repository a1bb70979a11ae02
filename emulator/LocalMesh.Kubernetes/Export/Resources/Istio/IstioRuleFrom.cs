namespace LocalMesh.Kubernetes.Export;

public sealed class IstioRuleFrom
{
    public IstioSource Source { get; set; } = new();
}
