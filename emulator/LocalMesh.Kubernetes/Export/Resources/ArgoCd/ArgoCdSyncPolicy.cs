namespace LocalMesh.Kubernetes.Export;

internal sealed class ArgoCdSyncPolicy
{
    public ArgoCdAutomated? Automated { get; set; }
    public List<string>? SyncOptions { get; set; }
}
