namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioHttpCookie
{
    public string Name { get; set; } = "";
    public string? Path { get; set; }
    public string? Ttl { get; set; }
}
