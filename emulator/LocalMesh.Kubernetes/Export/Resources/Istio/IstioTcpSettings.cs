namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioTcpSettings
{
    public int? MaxConnections { get; set; }
    public string? ConnectTimeout { get; set; }
    public object? TcpKeepalive { get; set; }
    public object? MaxConnectionDuration { get; set; }
    public string? IdleTimeout { get; set; }
}
