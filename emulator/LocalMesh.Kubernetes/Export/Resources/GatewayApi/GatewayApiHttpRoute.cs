namespace LocalMesh.Kubernetes.Export;

internal sealed class GatewayApiHttpRoute : CustomResource<HttpRouteSpec>
{
    public GatewayApiHttpRoute() => (ApiVersion, Kind) = ("gateway.networking.k8s.io/v1", "HTTPRoute");
}
