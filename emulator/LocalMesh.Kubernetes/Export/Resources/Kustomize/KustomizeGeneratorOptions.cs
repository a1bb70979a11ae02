namespace LocalMesh.Kubernetes.Export;

internal sealed class KustomizeGeneratorOptions
{
    public bool DisableNameSuffixHash { get; set; }
}
