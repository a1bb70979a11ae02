namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioServerPort
{
    public int Number { get; set; }
    public string? Name { get; set; }
    public string Protocol { get; set; } = "";
    public object? TargetPort { get; set; }
}
