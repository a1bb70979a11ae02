namespace LocalMesh.Kubernetes.Export;

public sealed class KnativeServiceSpec
{
    public KnativeRevisionTemplate Template { get; set; } = new();
    public List<KnativeTrafficTarget>? Traffic { get; set; }
}
