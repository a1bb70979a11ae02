namespace LocalMesh.Kubernetes.Export;

public sealed class PrometheusRuleSpec
{
    public List<PrometheusRuleGroup> Groups { get; set; } = [];
}
