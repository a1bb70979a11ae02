namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeTrafficTarget
{
    public string? RevisionName { get; set; }
    public bool? LatestRevision { get; set; }
    public long Percent { get; set; }
    public string? Tag { get; set; }
    public object? ConfigurationName { get; set; }
}
