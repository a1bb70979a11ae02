namespace LocalMesh.Kubernetes.Export;

public sealed class IstioRewrite
{
    public string? Uri { get; set; }
    public string? Authority { get; set; }
}
