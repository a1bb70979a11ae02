namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioRetries
{
    public int Attempts { get; set; }
    public string? PerTryTimeout { get; set; }
    public string? RetryOn { get; set; }
    public bool? RetryRemoteLocalities { get; set; }
}
