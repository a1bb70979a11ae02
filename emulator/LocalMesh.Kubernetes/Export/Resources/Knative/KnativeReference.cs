namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeReference
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Name { get; set; } = "";
}
