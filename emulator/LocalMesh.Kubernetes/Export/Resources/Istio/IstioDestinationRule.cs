namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioDestinationRule : CustomResource<DestinationRuleSpec>
{
    public IstioDestinationRule() => (ApiVersion, Kind) = ("networking.istio.io/v1", "DestinationRule");
}
