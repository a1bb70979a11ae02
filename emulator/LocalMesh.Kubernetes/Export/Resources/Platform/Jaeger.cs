namespace LocalMesh.Kubernetes.Export;

public sealed class Jaeger : CustomResource<JaegerSpec>
{
    public Jaeger() => (ApiVersion, Kind) = ("jaegertracing.io/v1", "Jaeger");
}

public sealed class JaegerSpec
{
    public string Strategy { get; set; } = "";
    public JaegerStorage Storage { get; set; } = new();
}

public sealed class JaegerStorage
{
    public string Type { get; set; } = "";
    public Dictionary<string, Dictionary<string, int>>? Options { get; set; }
}
