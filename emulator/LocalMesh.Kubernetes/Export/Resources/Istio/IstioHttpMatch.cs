namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioHttpMatch
{
    public string? Name { get; set; }
    public IstioStringMatch? Uri { get; set; }
    public IstioStringMatch? Scheme { get; set; }
    public IstioStringMatch? Method { get; set; }
    public IstioStringMatch? Authority { get; set; }
    public Dictionary<string, IstioStringMatch>? Headers { get; set; }
    public Dictionary<string, IstioStringMatch>? QueryParams { get; set; }
    public Dictionary<string, IstioStringMatch>? WithoutHeaders { get; set; }
    public bool? IgnoreUriCase { get; set; }
    public Dictionary<string, string>? SourceLabels { get; set; }
    public int? Port { get; set; }
    public List<string>? Gateways { get; set; }
    public string? SourceNamespace { get; set; }
    public object? StatPrefix { get; set; }
}
