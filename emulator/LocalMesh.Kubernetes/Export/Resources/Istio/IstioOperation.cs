namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioOperation
{
    public List<string>? Hosts { get; set; }
    public List<string>? NotHosts { get; set; }
    public List<string>? Ports { get; set; }
    public List<string>? NotPorts { get; set; }
    public List<string>? Methods { get; set; }
    public List<string>? NotMethods { get; set; }
    public List<string>? Paths { get; set; }
    public List<string>? NotPaths { get; set; }
}
