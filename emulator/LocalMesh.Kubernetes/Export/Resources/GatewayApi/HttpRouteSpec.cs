namespace LocalMesh.Kubernetes.Export;

// The Gateway API's HTTPRoute (gateway.networking.k8s.io v1), with the API's own field names.

internal sealed class HttpRouteSpec
{
    public List<ParentReference>? ParentRefs { get; set; }
    public List<string>? Hostnames { get; set; }
    public List<HttpRouteRuleSpec>? Rules { get; set; }
}

internal sealed class ParentReference
{
    public string? Group { get; set; }
    public string? Kind { get; set; }
    public string? Namespace { get; set; }
    public string Name { get; set; } = "";
    public string? SectionName { get; set; }
    public int? Port { get; set; }
}

internal sealed class HttpRouteRuleSpec
{
    public string? Name { get; set; }
    public List<HttpRouteMatchSpec>? Matches { get; set; }
    public List<HttpRouteFilterSpec>? Filters { get; set; }
    public List<HttpBackendRefSpec>? BackendRefs { get; set; }
    public HttpRouteTimeoutsSpec? Timeouts { get; set; }

    // The experimental channel's retry (GEP-1731), which Istio implements.
    public HttpRouteRetrySpec? Retry { get; set; }

    // Known to the API and carried, not emulated.
    public object? SessionPersistence { get; set; }
}

internal sealed class HttpRouteRetrySpec
{
    public List<int>? Codes { get; set; }
    public int? Attempts { get; set; }
    public string? Backoff { get; set; }
}

internal sealed class HttpRouteMatchSpec
{
    public HttpPathMatchSpec? Path { get; set; }
    public List<HttpHeaderMatchSpec>? Headers { get; set; }
    public List<HttpHeaderMatchSpec>? QueryParams { get; set; }
    public string? Method { get; set; }
}

internal sealed class HttpPathMatchSpec
{
    public string? Type { get; set; }
    public string? Value { get; set; }
}

internal sealed class HttpHeaderMatchSpec
{
    public string? Type { get; set; }
    public string Name { get; set; } = "";
    public string Value { get; set; } = "";
}

internal sealed class HttpRouteFilterSpec
{
    public string Type { get; set; } = "";
    public HttpHeaderFilterSpec? RequestHeaderModifier { get; set; }
    public HttpHeaderFilterSpec? ResponseHeaderModifier { get; set; }
    public HttpRequestRedirectSpec? RequestRedirect { get; set; }
    public HttpUrlRewriteSpec? UrlRewrite { get; set; }
    public HttpRequestMirrorSpec? RequestMirror { get; set; }

    // Known to the API and carried, not emulated.
    public object? ExtensionRef { get; set; }
    public object? Cors { get; set; }
    public object? ExternalAuth { get; set; }
}

internal sealed class HttpHeaderFilterSpec
{
    public List<HttpHeaderSpec>? Set { get; set; }
    public List<HttpHeaderSpec>? Add { get; set; }
    public List<string>? Remove { get; set; }
}

internal sealed class HttpHeaderSpec
{
    public string Name { get; set; } = "";
    public string Value { get; set; } = "";
}

internal sealed class HttpRequestRedirectSpec
{
    public string? Scheme { get; set; }
    public string? Hostname { get; set; }
    public HttpPathModifierSpec? Path { get; set; }
    public int? Port { get; set; }
    public int? StatusCode { get; set; }
}

internal sealed class HttpPathModifierSpec
{
    public string Type { get; set; } = "";
    public string? ReplaceFullPath { get; set; }
    public string? ReplacePrefixMatch { get; set; }
}

internal sealed class HttpUrlRewriteSpec
{
    public string? Hostname { get; set; }
    public HttpPathModifierSpec? Path { get; set; }
}

internal sealed class HttpRequestMirrorSpec
{
    public HttpBackendRefSpec BackendRef { get; set; } = new();
    public int? Percent { get; set; }
    public FractionSpec? Fraction { get; set; }
}

internal sealed class FractionSpec
{
    public int Numerator { get; set; }
    public int? Denominator { get; set; }
}

internal sealed class HttpBackendRefSpec
{
    public string? Group { get; set; }
    public string? Kind { get; set; }
    public string Name { get; set; } = "";
    public string? Namespace { get; set; }
    public int? Port { get; set; }
    public int? Weight { get; set; }
    public List<HttpRouteFilterSpec>? Filters { get; set; }
}

internal sealed class HttpRouteTimeoutsSpec
{
    public string? Request { get; set; }
    public string? BackendRequest { get; set; }
}
