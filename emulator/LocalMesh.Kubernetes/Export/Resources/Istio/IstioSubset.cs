namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioSubset
{
    public string Name { get; set; } = "";
    public Dictionary<string, string> Labels { get; set; } = [];
    public IstioTrafficPolicy? TrafficPolicy { get; set; }
}
