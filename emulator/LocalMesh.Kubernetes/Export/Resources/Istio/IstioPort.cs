namespace LocalMesh.Kubernetes.Export;

public sealed class IstioPort
{
    public int Number { get; set; }
}
