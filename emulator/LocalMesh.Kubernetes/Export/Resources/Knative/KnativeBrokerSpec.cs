namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeBrokerSpec
{
    public KnativeDelivery? Delivery { get; set; }
    public object? Config { get; set; }
}
