namespace LocalMesh.Kubernetes.Export;

// The Gateway API's GRPCRoute (gateway.networking.k8s.io v1): read as the HTTPRoute it means, a
// call being a POST to /<service>/<method>.

internal sealed class GrpcRouteSpec
{
    public List<ParentReference>? ParentRefs { get; set; }
    public List<string>? Hostnames { get; set; }
    public List<GrpcRouteRuleSpec>? Rules { get; set; }

    /// <summary>The HTTPRoute this route means: each method match a path match on <c>/service/method</c>.</summary>
    public HttpRouteSpec AsHttpRoute() => new()
    {
        ParentRefs = ParentRefs,
        Hostnames = Hostnames,
        Rules = Rules?.Select(rule => new HttpRouteRuleSpec
        {
            Name = rule.Name,
            Matches = rule.Matches?.Select(match => new HttpRouteMatchSpec { Path = match.Method?.AsPath(), Headers = match.Headers }).ToList(),
            Filters = rule.Filters,
            BackendRefs = rule.BackendRefs,
            SessionPersistence = rule.SessionPersistence,
        }).ToList(),
    };
}

internal sealed class GrpcRouteRuleSpec
{
    public string? Name { get; set; }
    public List<GrpcRouteMatchSpec>? Matches { get; set; }
    public List<HttpRouteFilterSpec>? Filters { get; set; }
    public List<HttpBackendRefSpec>? BackendRefs { get; set; }
    public object? SessionPersistence { get; set; }
}

internal sealed class GrpcRouteMatchSpec
{
    public GrpcMethodMatchSpec? Method { get; set; }
    public List<HttpHeaderMatchSpec>? Headers { get; set; }
}

internal sealed class GrpcMethodMatchSpec
{
    public string? Type { get; set; }
    public string? Service { get; set; }
    public string? Method { get; set; }

    /// <summary>
    /// The path a call to it has: <c>/service/method</c> exactly; a service alone is every method of
    /// it (a prefix); a method alone, or a regular expression, a regex on the path.
    /// </summary>
    public HttpPathMatchSpec? AsPath() => (Type ?? "Exact", Service, Method) switch
    {
        (_, null, null) => null,
        ("Exact", { } service, { } method) => new() { Type = "Exact", Value = $"/{service}/{method}" },
        ("Exact", { } service, null) => new() { Type = "PathPrefix", Value = $"/{service}" },
        ("Exact", null, { } method) => new() { Type = "RegularExpression", Value = $"/[^/]+/{System.Text.RegularExpressions.Regex.Escape(method)}" },
        (_, var service, var method) => new() { Type = "RegularExpression", Value = $"/{service ?? "[^/]+"}/{method ?? "[^/]+"}" },
    };
}
