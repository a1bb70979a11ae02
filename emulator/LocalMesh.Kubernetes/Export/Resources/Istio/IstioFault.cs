namespace LocalMesh.Kubernetes.Export;

public sealed class IstioFault
{
    public IstioDelay? Delay { get; set; }
    public IstioAbort? Abort { get; set; }
}
