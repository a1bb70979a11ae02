namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioConsistentHash
{
    public string? HttpHeaderName { get; set; }
    public IstioHttpCookie? HttpCookie { get; set; }
    public bool? UseSourceIp { get; set; }
    public string? HttpQueryParameterName { get; set; }
    public int? MinimumRingSize { get; set; }
    public object? RingHash { get; set; }
    public object? Maglev { get; set; }
}
