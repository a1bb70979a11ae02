namespace LocalMesh.Kubernetes.Export;

internal sealed class ServiceMonitor : CustomResource<ServiceMonitorSpec>
{
    public ServiceMonitor() => (ApiVersion, Kind) = ("monitoring.coreos.com/v1", "ServiceMonitor");
}
