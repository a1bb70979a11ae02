namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioPort
{
    public int Number { get; set; }
}
