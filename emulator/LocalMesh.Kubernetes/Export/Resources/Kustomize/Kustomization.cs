using k8s.Models;

namespace LocalMesh.Kubernetes.Export;

internal sealed class Kustomization
{
    public string ApiVersion { get; set; } = "kustomize.config.k8s.io/v1beta1";
    public string Kind { get; set; } = "Kustomization";
    public V1ObjectMeta? Metadata { get; set; }
    public List<string>? Resources { get; set; }
    public List<KustomizeConfigMap>? ConfigMapGenerator { get; set; }
    public KustomizeGeneratorOptions? GeneratorOptions { get; set; }
}
