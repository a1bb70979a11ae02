namespace LocalMesh.Kubernetes.Export;

public sealed class PrometheusRule : CustomResource<PrometheusRuleSpec>
{
    public PrometheusRule() => (ApiVersion, Kind) = ("monitoring.coreos.com/v1", "PrometheusRule");
}
