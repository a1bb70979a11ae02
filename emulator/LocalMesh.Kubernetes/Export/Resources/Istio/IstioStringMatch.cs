namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioStringMatch
{
    public string? Exact { get; set; }
    public string? Prefix { get; set; }
    public string? Regex { get; set; }
}
