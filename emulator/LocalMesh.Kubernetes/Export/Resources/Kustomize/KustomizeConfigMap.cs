namespace LocalMesh.Kubernetes.Export;

internal sealed class KustomizeConfigMap
{
    public string Name { get; set; } = "";
    public string? Namespace { get; set; }
    public string? Behavior { get; set; }
    public List<string> Literals { get; set; } = [];
}
