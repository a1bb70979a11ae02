namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioGateway : CustomResource<GatewaySpecification>
{
    public IstioGateway() => (ApiVersion, Kind) = ("networking.istio.io/v1", "Gateway");
}
