namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioFault
{
    public IstioDelay? Delay { get; set; }
    public IstioAbort? Abort { get; set; }
}
