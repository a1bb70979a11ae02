namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioAuthorizationPolicy : CustomResource<AuthorizationPolicySpec>
{
    public IstioAuthorizationPolicy() => (ApiVersion, Kind) = ("security.istio.io/v1", "AuthorizationPolicy");
}
