namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioRuleTo
{
    public IstioOperation Operation { get; set; } = new();
}
