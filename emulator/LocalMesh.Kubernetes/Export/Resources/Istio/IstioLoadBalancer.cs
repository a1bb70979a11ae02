namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioLoadBalancer
{
    public string? Simple { get; set; }
    public IstioConsistentHash? ConsistentHash { get; set; }
    public object? LocalityLbSetting { get; set; }
    public object? WarmupDurationSecs { get; set; }
    public object? Warmup { get; set; }
}
