namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioOutlierDetection
{
    public int? Consecutive5xxErrors { get; set; }
    public int? ConsecutiveGatewayErrors { get; set; }
    public string? Interval { get; set; }
    public string? BaseEjectionTime { get; set; }
    public int? MaxEjectionPercent { get; set; }
    public int? MinHealthPercent { get; set; }
    public object? SplitExternalLocalOriginErrors { get; set; }
    public object? ConsecutiveLocalOriginFailures { get; set; }
    public object? ConsecutiveErrors { get; set; }
}
