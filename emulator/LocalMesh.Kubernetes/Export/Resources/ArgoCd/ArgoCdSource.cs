namespace LocalMesh.Kubernetes.Export;

internal sealed class ArgoCdSource
{
    public string RepoURL { get; set; } = "";
    public string Path { get; set; } = "";
    public string TargetRevision { get; set; } = "";
}
