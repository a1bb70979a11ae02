namespace LocalMesh.Kubernetes.Export;

// The Gateway API's TCPRoute (gateway.networking.k8s.io v1alpha2).

internal sealed class TcpRouteSpec
{
    public List<ParentReference>? ParentRefs { get; set; }
    public List<TcpRouteRuleSpec>? Rules { get; set; }
}

internal sealed class TcpRouteRuleSpec
{
    public string? Name { get; set; }
    public List<HttpBackendRefSpec>? BackendRefs { get; set; }
}
