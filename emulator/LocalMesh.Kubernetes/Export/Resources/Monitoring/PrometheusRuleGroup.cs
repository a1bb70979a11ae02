namespace LocalMesh.Kubernetes.Export;

internal sealed class PrometheusRuleGroup
{
    public string Name { get; set; } = "";
    public string? Interval { get; set; }
    public int? Limit { get; set; }
    public List<PrometheusAlert> Rules { get; set; } = [];
}
