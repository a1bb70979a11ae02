namespace LocalMesh.Kubernetes.Export;

internal sealed class ArgoCdApplicationSpec
{
    public string Project { get; set; } = "default";
    public ArgoCdSource Source { get; set; } = new();
    public ArgoCdDestination Destination { get; set; } = new();
    public ArgoCdSyncPolicy? SyncPolicy { get; set; }
}
