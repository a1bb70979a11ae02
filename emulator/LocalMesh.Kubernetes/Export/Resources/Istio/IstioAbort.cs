namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioAbort
{
    public int? HttpStatus { get; set; }
    public string? GrpcStatus { get; set; }
    public IstioPercent? Percentage { get; set; }
    public object? Http2Error { get; set; }
}
