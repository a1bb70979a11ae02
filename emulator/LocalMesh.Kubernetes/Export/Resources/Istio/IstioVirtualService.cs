namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioVirtualService : CustomResource<VirtualServiceSpec>
{
    public IstioVirtualService() => (ApiVersion, Kind) = ("networking.istio.io/v1", "VirtualService");
}
