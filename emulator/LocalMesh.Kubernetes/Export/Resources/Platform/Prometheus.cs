namespace LocalMesh.Kubernetes.Export;

internal sealed class Prometheus : CustomResource<PrometheusSpec>
{
    public Prometheus() => (ApiVersion, Kind) = ("monitoring.coreos.com/v1", "Prometheus");
}

internal sealed class PrometheusSpec
{
    public string ServiceAccountName { get; set; } = "";
    public string? ScrapeInterval { get; set; }
    public string? EvaluationInterval { get; set; }
    public k8s.Models.V1LabelSelector? ServiceMonitorSelector { get; set; }
    public k8s.Models.V1LabelSelector? ServiceMonitorNamespaceSelector { get; set; }
    public k8s.Models.V1LabelSelector? RuleSelector { get; set; }
    public k8s.Models.V1LabelSelector? RuleNamespaceSelector { get; set; }
    public k8s.Models.V1ResourceRequirements? Resources { get; set; }
}
