namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioRuleFrom
{
    public IstioSource Source { get; set; } = new();
}
