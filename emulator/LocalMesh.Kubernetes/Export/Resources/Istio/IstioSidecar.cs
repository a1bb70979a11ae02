namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioSidecar : CustomResource<SidecarSpec>
{
    public IstioSidecar() => (ApiVersion, Kind) = ("networking.istio.io/v1", "Sidecar");
}

internal sealed class SidecarSpec
{
    public IstioOutboundTrafficPolicy? OutboundTrafficPolicy { get; set; }
}

internal sealed class IstioOutboundTrafficPolicy
{
    public string Mode { get; set; } = "";
}
