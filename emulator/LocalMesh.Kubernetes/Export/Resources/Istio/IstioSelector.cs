namespace LocalMesh.Kubernetes.Export;

public sealed class IstioSelector
{
    public Dictionary<string, string> MatchLabels { get; set; } = [];
}
