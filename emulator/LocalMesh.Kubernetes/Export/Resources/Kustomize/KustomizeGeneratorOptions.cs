namespace LocalMesh.Kubernetes.Export;

public sealed class KustomizeGeneratorOptions
{
    public bool DisableNameSuffixHash { get; set; }
}
