namespace LocalMesh.Kubernetes.Export;

public sealed class ArgoCdAutomated
{
    public bool Prune { get; set; }
    public bool SelfHeal { get; set; }
}
