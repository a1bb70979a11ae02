namespace LocalMesh.Kubernetes.Export;

internal sealed class ArgoCdDestination
{
    public string Server { get; set; } = "";
    public string Namespace { get; set; } = "";
}
