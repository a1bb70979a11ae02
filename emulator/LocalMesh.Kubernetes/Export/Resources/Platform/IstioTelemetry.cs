namespace LocalMesh.Kubernetes.Export;

public sealed class IstioTelemetry : CustomResource<IstioTelemetrySpec>
{
    public IstioTelemetry() => (ApiVersion, Kind) = ("telemetry.istio.io/v1", "Telemetry");
}

public sealed class IstioTelemetrySpec
{
    public List<IstioTracing>? Tracing { get; set; }
    public List<IstioAccessLogging>? AccessLogging { get; set; }
}

public sealed class IstioTracing
{
    public List<IstioProviderRef>? Providers { get; set; }
    public double? RandomSamplingPercentage { get; set; }
}

public sealed class IstioAccessLogging
{
    public List<IstioProviderRef>? Providers { get; set; }
    public bool? Disabled { get; set; }
}

public sealed class IstioProviderRef
{
    public string Name { get; set; } = "";
}
