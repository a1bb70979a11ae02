namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioSelector
{
    public Dictionary<string, string> MatchLabels { get; set; } = [];
}
