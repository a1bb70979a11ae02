using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

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
