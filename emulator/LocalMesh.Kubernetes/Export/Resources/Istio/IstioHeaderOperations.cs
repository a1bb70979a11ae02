namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioHeaderOperations
{
    public Dictionary<string, string>? Set { get; set; }
    public Dictionary<string, string>? Add { get; set; }
    public List<string>? Remove { get; set; }
}
