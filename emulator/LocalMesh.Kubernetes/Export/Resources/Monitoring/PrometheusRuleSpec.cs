namespace LocalMesh.Kubernetes.Export;

internal sealed class PrometheusRuleSpec
{
    public List<PrometheusRuleGroup> Groups { get; set; } = [];
}
