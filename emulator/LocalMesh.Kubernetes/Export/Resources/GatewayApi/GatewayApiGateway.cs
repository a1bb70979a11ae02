namespace LocalMesh.Kubernetes.Export;

internal sealed class GatewayApiGateway : CustomResource<GatewayApiGatewaySpec>
{
    public GatewayApiGateway() => (ApiVersion, Kind) = ("gateway.networking.k8s.io/v1", "Gateway");
}
