namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioRedirect
{
    public string? Uri { get; set; }
    public string? Authority { get; set; }
    public int? Port { get; set; }
    public string? Scheme { get; set; }
    public int? RedirectCode { get; set; }
}
