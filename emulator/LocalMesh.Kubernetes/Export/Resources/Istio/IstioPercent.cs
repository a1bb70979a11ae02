namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioPercent
{
    public double Value { get; set; }
}
