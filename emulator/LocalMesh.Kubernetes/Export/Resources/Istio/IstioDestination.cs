namespace LocalMesh.Kubernetes.Export;

public sealed class IstioDestination
{
    public string Host { get; set; } = "";
    public string? Subset { get; set; }
    public IstioPort? Port { get; set; }
}
