namespace LocalMesh.Kubernetes.Export;

public sealed class IstioConnectionPool
{
    public IstioTcpSettings? Tcp { get; set; }
    public IstioHttpSettings? Http { get; set; }
}
