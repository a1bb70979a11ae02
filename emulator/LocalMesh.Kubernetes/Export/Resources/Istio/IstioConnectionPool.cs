namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioConnectionPool
{
    public IstioTcpSettings? Tcp { get; set; }
    public IstioHttpSettings? Http { get; set; }
}
