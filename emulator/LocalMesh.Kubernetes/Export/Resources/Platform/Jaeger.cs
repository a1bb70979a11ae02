namespace LocalMesh.Kubernetes.Export;

internal sealed class Jaeger : CustomResource<JaegerSpec>
{
    public Jaeger() => (ApiVersion, Kind) = ("jaegertracing.io/v1", "Jaeger");
}

internal sealed class JaegerSpec
{
    public string Strategy { get; set; } = "";
    public JaegerStorage Storage { get; set; } = new();
}

internal sealed class JaegerStorage
{
    public string Type { get; set; } = "";
    public Dictionary<string, Dictionary<string, int>>? Options { get; set; }
}
