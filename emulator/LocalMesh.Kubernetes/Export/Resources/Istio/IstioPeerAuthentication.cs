namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioPeerAuthentication : CustomResource<PeerAuthenticationSpec>
{
    public IstioPeerAuthentication() => (ApiVersion, Kind) = ("security.istio.io/v1", "PeerAuthentication");
}
