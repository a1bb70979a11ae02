namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioCondition
{
    public string Key { get; set; } = "";
    public List<string>? Values { get; set; }
    public List<string>? NotValues { get; set; }
}
