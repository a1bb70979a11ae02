namespace LocalMesh.Kubernetes.Export;

public sealed class KnativeBrokerSpec
{
    public KnativeDelivery? Delivery { get; set; }
    public object? Config { get; set; }
}
