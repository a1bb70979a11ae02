namespace LocalMesh.Kubernetes.Export;

public sealed class ServiceMonitor : CustomResource<ServiceMonitorSpec>
{
    public ServiceMonitor() => (ApiVersion, Kind) = ("monitoring.coreos.com/v1", "ServiceMonitor");
}
