namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioTcpRoute
{
    public List<IstioL4Match>? Match { get; set; }
    public List<IstioRouteDestination>? Route { get; set; }
}
