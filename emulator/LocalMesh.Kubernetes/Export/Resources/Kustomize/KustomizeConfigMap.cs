namespace LocalMesh.Kubernetes.Export;

public sealed class KustomizeConfigMap
{
    public string Name { get; set; } = "";
    public string? Namespace { get; set; }
    public string? Behavior { get; set; }
    public List<string> Literals { get; set; } = [];
}
