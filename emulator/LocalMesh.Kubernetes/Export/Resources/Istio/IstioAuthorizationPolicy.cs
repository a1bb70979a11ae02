namespace LocalMesh.Kubernetes.Export;

public sealed class IstioAuthorizationPolicy : CustomResource<AuthorizationPolicySpec>
{
    public IstioAuthorizationPolicy() => (ApiVersion, Kind) = ("security.istio.io/v1", "AuthorizationPolicy");
}
