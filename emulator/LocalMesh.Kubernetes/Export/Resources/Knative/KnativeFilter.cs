namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeFilter
{
    public Dictionary<string, string> Attributes { get; set; } = [];
}
