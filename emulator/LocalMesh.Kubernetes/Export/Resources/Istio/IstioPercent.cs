namespace LocalMesh.Kubernetes.Export;

public sealed class IstioPercent
{
    public double Value { get; set; }
}
