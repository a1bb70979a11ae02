namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioServiceEntry : CustomResource<ServiceEntrySpec>
{
    public IstioServiceEntry() => (ApiVersion, Kind) = ("networking.istio.io/v1", "ServiceEntry");
}
