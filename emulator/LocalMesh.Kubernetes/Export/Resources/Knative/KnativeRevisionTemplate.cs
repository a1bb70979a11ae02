using k8s.Models;

namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeRevisionTemplate
{
    public V1ObjectMeta Metadata { get; set; } = new();
    public KnativeRevisionSpec Spec { get; set; } = new();
}
