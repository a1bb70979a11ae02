namespace LocalMesh.Kubernetes.Export;

public sealed class IstioVirtualService : CustomResource<VirtualServiceSpec>
{
    public IstioVirtualService() => (ApiVersion, Kind) = ("networking.istio.io/v1", "VirtualService");
}
