namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioPortTrafficPolicy
{
    public IstioPort? Port { get; set; }
    public IstioLoadBalancer? LoadBalancer { get; set; }
    public IstioConnectionPool? ConnectionPool { get; set; }
    public IstioOutlierDetection? OutlierDetection { get; set; }
    public IstioClientTls? Tls { get; set; }
}
