namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioTrafficPolicy
{
    public IstioLoadBalancer? LoadBalancer { get; set; }
    public IstioConnectionPool? ConnectionPool { get; set; }
    public IstioOutlierDetection? OutlierDetection { get; set; }
    public IstioClientTls? Tls { get; set; }
    public List<IstioPortTrafficPolicy>? PortLevelSettings { get; set; }
    public object? Tunnel { get; set; }
    public object? ProxyProtocol { get; set; }
    public object? RetryBudget { get; set; }
}
