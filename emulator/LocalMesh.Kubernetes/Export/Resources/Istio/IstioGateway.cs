namespace LocalMesh.Kubernetes.Export;

public sealed class IstioGateway : CustomResource<GatewaySpecification>
{
    public IstioGateway() => (ApiVersion, Kind) = ("networking.istio.io/v1", "Gateway");
}
