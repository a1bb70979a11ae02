namespace LocalMesh.Kubernetes.Export;

public sealed class IstioTcpRoute
{
    public List<IstioL4Match>? Match { get; set; }
    public List<IstioRouteDestination>? Route { get; set; }
}
