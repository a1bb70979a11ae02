namespace LocalMesh.Kubernetes.Export;

internal sealed class ArgoCdAutomated
{
    public bool Prune { get; set; }
    public bool SelfHeal { get; set; }
}
