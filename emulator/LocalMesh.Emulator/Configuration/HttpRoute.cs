using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>HTTPRoute</c>: conditions, and what to do with requests that meet them.</summary>
public sealed record HttpRoute
{
    /// <summary>The route's name, reported in spans.</summary>
    public string? Name { get; init; }

    /// <summary>The conditions (ORed); none makes this the catch-all route, which belongs last.</summary>
    public IReadOnlyList<HttpMatchRequest>? Match { get; init; }

    /// <summary>Weighted destinations.</summary>
    public IReadOnlyList<HttpRouteDestination>? Route { get; init; }

    /// <summary>Answer with a redirect instead of forwarding.</summary>
    public HttpRedirect? Redirect { get; init; }

    /// <summary>Rewrite the path or authority before forwarding.</summary>
    public HttpRewrite? Rewrite { get; init; }

    /// <summary>Bound on the whole request, retries included; none by default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Retry policy; Istio's default policy when null.</summary>
    public HttpRetry? Retries { get; init; }

    /// <summary>Faults to inject; a route with a fault has no timeout and no retries.</summary>
    public HttpFaultInjection? Fault { get; init; }

    /// <summary>Also send a copy of each request here, ignoring its response.</summary>
    public Destination? Mirror { get; init; }

    /// <summary>The percentage of requests mirrored; 100 when a mirror is set without one.</summary>
    public double? MirrorPercentage { get; init; }

    /// <summary>Header changes for this route.</summary>
    public Headers? Headers { get; init; }
}
