namespace LocalMesh.Kubernetes.Export;

public sealed class ArgoCdSyncPolicy
{
    public ArgoCdAutomated? Automated { get; set; }
    public List<string>? SyncOptions { get; set; }
}
