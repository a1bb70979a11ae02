namespace LocalMesh.Kubernetes.Export;

public sealed class IstioHeaders
{
    public IstioHeaderOperations? Request { get; set; }
    public IstioHeaderOperations? Response { get; set; }
}
