namespace LocalMesh.Kubernetes.Export;

public sealed class PrometheusRuleGroup
{
    public string Name { get; set; } = "";
    public List<PrometheusAlert> Rules { get; set; } = [];
}
