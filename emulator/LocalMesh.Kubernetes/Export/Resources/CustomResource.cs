using k8s;
using k8s.Models;

namespace LocalMesh.Kubernetes.Export;

/// <summary>A custom resource: apiVersion, kind, metadata and a typed spec.</summary>
internal abstract class CustomResource<TSpec> : IKubernetesObject<V1ObjectMeta>
    where TSpec : new()
{
    /// <inheritdoc />
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The resource's spec.</summary>
    public TSpec Spec { get; set; } = new();
}
