namespace LocalMesh.Kubernetes.Export;

public sealed class KnativeDestination
{
    public KnativeReference Ref { get; set; } = new();
    public string? Uri { get; set; }
}
