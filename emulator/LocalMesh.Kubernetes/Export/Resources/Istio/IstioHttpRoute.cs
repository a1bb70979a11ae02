namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioHttpRoute
{
    public string? Name { get; set; }
    public List<IstioHttpMatch>? Match { get; set; }
    public List<IstioRouteDestination>? Route { get; set; }
    public IstioRedirect? Redirect { get; set; }
    public IstioRewrite? Rewrite { get; set; }
    public string? Timeout { get; set; }
    public IstioRetries? Retries { get; set; }
    public IstioFault? Fault { get; set; }
    public IstioDestination? Mirror { get; set; }
    public IstioPercent? MirrorPercentage { get; set; }
    public IstioHeaders? Headers { get; set; }
    public object? CorsPolicy { get; set; }
    public object? Delegate { get; set; }
    public object? Mirrors { get; set; }
    public object? DirectResponse { get; set; }
}
