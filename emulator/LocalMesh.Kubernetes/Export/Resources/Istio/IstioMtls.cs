namespace LocalMesh.Kubernetes.Export;

public sealed class IstioMtls
{
    public string Mode { get; set; } = "";
}
