namespace LocalMesh.Kubernetes.Export;

public sealed class IstioRouteDestination
{
    public IstioDestination Destination { get; set; } = new();
    public int? Weight { get; set; }
    public IstioHeaders? Headers { get; set; }
}
