namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioHttpSettings
{
    public int? Http1MaxPendingRequests { get; set; }
    public int? Http2MaxRequests { get; set; }
    public int? MaxRequestsPerConnection { get; set; }
    public int? MaxRetries { get; set; }
    public string? IdleTimeout { get; set; }
    public object? H2UpgradePolicy { get; set; }
    public object? UseClientProtocol { get; set; }
    public object? MaxConcurrentStreams { get; set; }
}
