namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioRouteDestination
{
    public IstioDestination Destination { get; set; } = new();
    public int? Weight { get; set; }
    public IstioHeaders? Headers { get; set; }
}
