namespace LocalMesh.Kubernetes.Export;

public sealed class IstioRuleTo
{
    public IstioOperation Operation { get; set; } = new();
}
