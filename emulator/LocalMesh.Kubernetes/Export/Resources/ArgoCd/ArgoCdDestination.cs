namespace LocalMesh.Kubernetes.Export;

public sealed class ArgoCdDestination
{
    public string Server { get; set; } = "";
    public string Namespace { get; set; } = "";
}
