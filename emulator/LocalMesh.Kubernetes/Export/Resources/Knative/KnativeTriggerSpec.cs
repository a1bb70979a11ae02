namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeTriggerSpec
{
    public string Broker { get; set; } = "";
    public KnativeFilter? Filter { get; set; }
    public KnativeDestination Subscriber { get; set; } = new();
    public KnativeDelivery? Delivery { get; set; }
    public object? Filters { get; set; }
}
