using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

// The traffic rules of Istio's VirtualService (networking.istio.io/v1), as immutable records
// with Istio's names. A null property means Istio's default.

/// <summary>How a <see cref="StringMatch"/> compares.</summary>
public enum StringMatchKind
{
    /// <summary>The whole value equals the given string.</summary>
    Exact,

    /// <summary>The value starts with the given string.</summary>
    Prefix,

    /// <summary>The whole value matches an RE2-style regular expression.</summary>
    Regex,

    /// <summary>The value is present, whatever it is (Istio's empty matcher <c>{}</c>).</summary>
    Present,
}

/// <summary>Istio's <c>StringMatch</c>: exact, prefix or regex; for headers also mere presence.</summary>
/// <param name="Kind">How to compare.</param>
/// <param name="Value">The string, prefix or expression; empty for <see cref="StringMatchKind.Present"/>.</param>
public sealed record StringMatch(StringMatchKind Kind, string Value)
{
    /// <summary>Matches the value <paramref name="value"/> exactly.</summary>
    public static StringMatch Exact(string value) => new(StringMatchKind.Exact, value);

    /// <summary>Matches values starting with <paramref name="prefix"/>.</summary>
    public static StringMatch Prefix(string prefix) => new(StringMatchKind.Prefix, prefix);

    /// <summary>Matches values the whole of which <paramref name="pattern"/> matches (RE2 syntax).</summary>
    public static StringMatch Regex(string pattern) => new(StringMatchKind.Regex, pattern);

    /// <summary>Matches any value, as long as there is one (headers only).</summary>
    public static StringMatch Present { get; } = new(StringMatchKind.Present, "");

    /// <summary>RE2 has no backtracking constructs; .NET's non-backtracking engine rejects them too.</summary>
    internal const RegexOptions RegexOptionsLikeRe2 = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    /// <summary><paramref name="pattern"/> as a whole-string match, as Envoy's <c>safe_regex</c> applies it.</summary>
    internal static Regex WholeString(string pattern) => new($"^(?:{pattern})$", RegexOptionsLikeRe2);

    /// <summary>Null when <paramref name="pattern"/> compiles as the data plane compiles it; the error otherwise.</summary>
    internal static string? RegexError(string pattern)
    {
        try
        {
            _ = WholeString(pattern);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return ex.Message;
        }
    }

    /// <inheritdoc />
    public override string ToString() => Kind == StringMatchKind.Present ? "{}" : $"{Kind.ToString().ToLowerInvariant()}: {Value}";
}

/// <summary>
/// Istio's <c>HTTPMatchRequest</c>: every condition set must hold (AND). A route's match list
/// is ORed.
/// </summary>
public sealed record HttpMatchRequest
{
    /// <summary>A name for the match, reported with the route.</summary>
    public string? Name { get; init; }

    /// <summary>The URI path (the query string is not part of it).</summary>
    public StringMatch? Uri { get; init; }

    /// <summary>The URI scheme, e.g. <c>http</c>.</summary>
    public StringMatch? Scheme { get; init; }

    /// <summary>The HTTP method.</summary>
    public StringMatch? Method { get; init; }

    /// <summary>The HTTP authority (Host header).</summary>
    public StringMatch? Authority { get; init; }

    /// <summary>Request headers that must match; keys are lower-case.</summary>
    public IReadOnlyDictionary<string, StringMatch>? Headers { get; init; }

    /// <summary>Query parameters that must match (<c>exact: ""</c> matches <c>?key</c>; regex must match the whole value).</summary>
    public IReadOnlyDictionary<string, StringMatch>? QueryParams { get; init; }

    /// <summary>Request headers that must NOT match.</summary>
    public IReadOnlyDictionary<string, StringMatch>? WithoutHeaders { get; init; }

    /// <summary>Compare <see cref="Uri"/> exact and prefix matches case-insensitively.</summary>
    public bool IgnoreUriCase { get; init; }

    /// <summary>Labels the calling workload must have.</summary>
    public IReadOnlyDictionary<string, string>? SourceLabels { get; init; }

    /// <summary>The service port the request was addressed to.</summary>
    public int? Port { get; init; }
}

/// <summary>Istio's <c>Destination</c>: a service, optionally a subset of it.</summary>
/// <param name="Host">The mesh service.</param>
/// <param name="Subset">A subset declared in the service's destination rule.</param>
/// <param name="Port">The service port; optional when the service has one.</param>
public sealed record Destination(string Host, string? Subset = null, int? Port = null)
{
    /// <inheritdoc />
    public override string ToString() => Subset is null ? Host : $"{Host}/{Subset}";
}

/// <summary>Istio's <c>HTTPRouteDestination</c>: a destination and its relative weight.</summary>
/// <param name="Destination">Where to send the traffic.</param>
/// <param name="Weight">Relative weight; a lone destination gets everything, weight 0 gets nothing.</param>
public sealed record HttpRouteDestination(Destination Destination, int? Weight = null)
{
    /// <summary>Header changes for requests to, and responses from, this destination.</summary>
    public Headers? Headers { get; init; }

    /// <summary>
    /// A Gateway API backend that resolves to nothing (no such Service, a kind or namespace the
    /// mesh cannot send to): the specification answers its share of requests with 500, where a
    /// VirtualService's unknown destination gets Envoy's 503 (NC).
    /// </summary>
    internal bool Unresolved { get; init; }
}

/// <summary>Header changes: set (replace), add (append), remove.</summary>
public sealed record HeaderOperations
{
    /// <summary>Headers to set, replacing any value.</summary>
    public IReadOnlyDictionary<string, string>? Set { get; init; }

    /// <summary>Headers to append.</summary>
    public IReadOnlyDictionary<string, string>? Add { get; init; }

    /// <summary>Headers to remove.</summary>
    public IReadOnlyList<string>? Remove { get; init; }
}

/// <summary>Istio's <c>Headers</c>: changes to the request and to the response.</summary>
public sealed record Headers
{
    /// <summary>Changes to the request before it is forwarded.</summary>
    public HeaderOperations? Request { get; init; }

    /// <summary>Changes to the response before it is returned.</summary>
    public HeaderOperations? Response { get; init; }
}

/// <summary>Istio's <c>HTTPRetry</c>.</summary>
public sealed record HttpRetry
{
    /// <summary>Istio's <c>retryOn</c> when a route sets no retries (with 503 as a retriable status code).</summary>
    public const string DefaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

    /// <summary>The conditions Envoy and Istio know; anything else in <see cref="RetryOn"/> is an error.</summary>
    internal static readonly FrozenSet<string> KnownConditions = FrozenSet.ToFrozenSet(
    [
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx",
        "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
        // gRPC conditions, checked against the response's grpc-status.
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ]);

    /// <summary>Retries allowed (at most 1 + attempts tries); 0 disables retries.</summary>
    public int Attempts { get; init; }

    /// <summary>Timeout per try; defaults to the route's timeout.</summary>
    public TimeSpan? PerTryTimeout { get; init; }

    /// <summary>Comma-separated conditions, e.g. <c>5xx,connect-failure</c> or bare status codes such as <c>503</c>.</summary>
    public string? RetryOn { get; init; }

    /// <summary>Retry in other localities (accepted; there is one locality locally).</summary>
    public bool? RetryRemoteLocalities { get; init; }
}

/// <summary>Istio's <c>HTTPRedirect</c>: answer with a redirect instead of forwarding.</summary>
public sealed record HttpRedirect
{
    /// <summary>Replaces the path.</summary>
    public string? Uri { get; init; }

    /// <summary>Replaces the authority.</summary>
    public string? Authority { get; init; }

    /// <summary>Replaces the port.</summary>
    public int? Port { get; init; }

    /// <summary>Replaces the scheme.</summary>
    public string? Scheme { get; init; }

    /// <summary>The status code; Istio's default is 301.</summary>
    public int RedirectCode { get; init; } = 301;
}

/// <summary>Istio's <c>HTTPRewrite</c>: change the request before forwarding.</summary>
public sealed record HttpRewrite
{
    /// <summary>Replaces the matched path prefix (or the whole path for an exact match).</summary>
    public string? Uri { get; init; }

    /// <summary>Replaces the authority (Host header).</summary>
    public string? Authority { get; init; }
}

/// <summary>Istio's <c>HTTPFaultInjection</c>: delays and aborts, independent of each other.</summary>
public sealed record HttpFaultInjection
{
    /// <summary>Delay before forwarding.</summary>
    public FaultDelay? Delay { get; init; }

    /// <summary>Answer with an error instead of forwarding.</summary>
    public FaultAbort? Abort { get; init; }
}

/// <summary>A fixed delay injected into a percentage of requests.</summary>
/// <param name="FixedDelay">How long.</param>
/// <param name="Percentage">Of requests, 0–100; no percentage injects nothing (Istio 1.16+).</param>
public sealed record FaultDelay(TimeSpan FixedDelay, double? Percentage);

/// <summary>An error answered to a percentage of requests.</summary>
/// <param name="HttpStatus">The HTTP status to answer.</param>
/// <param name="Percentage">Of requests, 0–100; no percentage injects nothing (Istio 1.16+).</param>
public sealed record FaultAbort(int HttpStatus, double? Percentage)
{
    /// <summary>A gRPC status to answer instead of an HTTP one (e.g. <c>UNAVAILABLE</c>).</summary>
    public string? GrpcStatus { get; init; }
}

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

/// <summary>Istio's <c>L4MatchAttributes</c>: what a TCP route matches on (a connection has no HTTP attributes).</summary>
public sealed record L4MatchAttributes
{
    /// <summary>The service port the connection was made to.</summary>
    public int? Port { get; init; }

    /// <summary>Labels the calling workload must have.</summary>
    public IReadOnlyDictionary<string, string>? SourceLabels { get; init; }
}

/// <summary>Istio's <c>RouteDestination</c> of a TCP route: a destination and its relative weight.</summary>
/// <param name="Destination">Where to send the connection.</param>
/// <param name="Weight">Relative weight; a lone destination gets everything, weight 0 gets nothing.</param>
public sealed record RouteDestination(Destination Destination, int? Weight = null);

/// <summary>Istio's <c>TCPRoute</c>: tried in order for each new connection; the first that matches picks a weighted destination.</summary>
public sealed record TcpRoute
{
    /// <summary>The conditions, ORed; none matches every connection.</summary>
    public IReadOnlyList<L4MatchAttributes>? Match { get; init; }

    /// <summary>The weighted destinations.</summary>
    public IReadOnlyList<RouteDestination>? Route { get; init; }

    /// <summary>The route as an HTTP route with the same matches and destinations (named <c>tcp-&lt;index&gt;</c>), which the router compiles and the dashboard shows alike.</summary>
    /// <param name="index">The route's place in its VirtualService's <c>tcp</c> list.</param>
    internal HttpRoute AsHttpRoute(int index) => new()
    {
        Name = $"tcp-{index}",
        Match = Match?.Select(match => new HttpMatchRequest { Port = match.Port, SourceLabels = match.SourceLabels }).ToList(),
        Route = Route?.Select(destination => new HttpRouteDestination(destination.Destination, destination.Weight)).ToList(),
    };
}
