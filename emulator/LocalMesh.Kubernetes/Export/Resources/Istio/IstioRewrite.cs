namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioRewrite
{
    public string? Uri { get; set; }
    public string? Authority { get; set; }
}
