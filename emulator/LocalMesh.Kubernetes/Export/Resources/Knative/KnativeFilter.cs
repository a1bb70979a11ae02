namespace LocalMesh.Kubernetes.Export;

public sealed class KnativeFilter
{
    public Dictionary<string, string> Attributes { get; set; } = [];
}
