namespace LocalMesh.Kubernetes.Export;

internal sealed class ServiceMonitorEndpoint
{
    public string Port { get; set; } = "";
    public string? Path { get; set; }
    public string? Interval { get; set; }
}
