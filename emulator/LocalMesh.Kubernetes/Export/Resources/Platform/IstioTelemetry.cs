namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioTelemetry : CustomResource<IstioTelemetrySpec>
{
    public IstioTelemetry() => (ApiVersion, Kind) = ("telemetry.istio.io/v1", "Telemetry");
}

internal sealed class IstioTelemetrySpec
{
    public List<IstioTracing>? Tracing { get; set; }
    public List<IstioAccessLogging>? AccessLogging { get; set; }
}

internal sealed class IstioTracing
{
    public List<IstioProviderRef>? Providers { get; set; }
    public double? RandomSamplingPercentage { get; set; }
}

internal sealed class IstioAccessLogging
{
    public List<IstioProviderRef>? Providers { get; set; }
    public bool? Disabled { get; set; }
}

internal sealed class IstioProviderRef
{
    public string Name { get; set; } = "";
}
