namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeServiceSpec
{
    public KnativeRevisionTemplate Template { get; set; } = new();
    public List<KnativeTrafficTarget>? Traffic { get; set; }
}
