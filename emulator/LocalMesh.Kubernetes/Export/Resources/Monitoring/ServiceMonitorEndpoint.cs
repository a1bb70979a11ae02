namespace LocalMesh.Kubernetes.Export;

public sealed class ServiceMonitorEndpoint
{
    public string Port { get; set; } = "";
    public string? Path { get; set; }
    public string? Interval { get; set; }
}
