namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioHeaders
{
    public IstioHeaderOperations? Request { get; set; }
    public IstioHeaderOperations? Response { get; set; }
}
