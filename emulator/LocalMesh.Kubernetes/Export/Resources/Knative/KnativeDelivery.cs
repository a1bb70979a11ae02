namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeDelivery
{
    public int? Retry { get; set; }
    public string? BackoffPolicy { get; set; }
    public string? BackoffDelay { get; set; }
    public string? Timeout { get; set; }
    public KnativeDestination? DeadLetterSink { get; set; }
}
