namespace LocalMesh.Kubernetes.Export;

public sealed class PrometheusAlert
{
    public string Alert { get; set; } = "";
    public string Expr { get; set; } = "";
    public string? For { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}
