namespace LocalMesh.Kubernetes.Export;

public sealed class IstioDestinationRule : CustomResource<DestinationRuleSpec>
{
    public IstioDestinationRule() => (ApiVersion, Kind) = ("networking.istio.io/v1", "DestinationRule");
}
