namespace LocalMesh.Kubernetes.Export;

internal sealed class PrometheusRule : CustomResource<PrometheusRuleSpec>
{
    public PrometheusRule() => (ApiVersion, Kind) = ("monitoring.coreos.com/v1", "PrometheusRule");
}
