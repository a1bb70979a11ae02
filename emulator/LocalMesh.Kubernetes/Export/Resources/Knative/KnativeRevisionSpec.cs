using k8s.Models;

namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeRevisionSpec
{
    public long? ContainerConcurrency { get; set; }
    public string? ServiceAccountName { get; set; }
    public List<V1Container> Containers { get; set; } = [];

    // Read from a team's files and carried, not emulated.
    public object? TimeoutSeconds { get; set; }
    public object? ResponseStartTimeoutSeconds { get; set; }
    public object? IdleTimeoutSeconds { get; set; }
    public object? Volumes { get; set; }
    public object? ImagePullSecrets { get; set; }
    public object? EnableServiceLinks { get; set; }
    public object? NodeSelector { get; set; }
    public object? Tolerations { get; set; }
    public object? Affinity { get; set; }
    public object? SecurityContext { get; set; }
}
