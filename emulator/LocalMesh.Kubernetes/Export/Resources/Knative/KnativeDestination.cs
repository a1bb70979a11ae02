namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeDestination
{
    public KnativeReference Ref { get; set; } = new();
    public string? Uri { get; set; }
}
