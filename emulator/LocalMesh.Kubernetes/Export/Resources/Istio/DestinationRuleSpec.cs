namespace LocalMesh.Kubernetes.Export;

internal sealed class DestinationRuleSpec
{
    public string Host { get; set; } = "";
    public IstioTrafficPolicy? TrafficPolicy { get; set; }
    public List<IstioSubset>? Subsets { get; set; }
    public List<string>? ExportTo { get; set; }
    public object? WorkloadSelector { get; set; }
}
