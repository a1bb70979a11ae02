namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioDestination
{
    public string Host { get; set; } = "";
    public string? Subset { get; set; }
    public IstioPort? Port { get; set; }
}
