using k8s.Models;

namespace LocalMesh.Kubernetes.Export;

internal sealed class ServiceMonitorSpec
{
    public V1LabelSelector Selector { get; set; } = new();
    public List<ServiceMonitorEndpoint> Endpoints { get; set; } = [];
}
