namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioMtls
{
    public string Mode { get; set; } = "";
}
