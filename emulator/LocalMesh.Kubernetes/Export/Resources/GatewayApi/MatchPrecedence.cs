namespace LocalMesh.Kubernetes.Export;

/// <summary>
/// Where an HTTPRoute match comes in the Gateway API's order among all rules of one parent: an
/// exact path first, then the longest prefix, then regexes (longest first, as Istio sorts them), a
/// method, the most headers, the most query parameters. Equal ones keep the routes' and rules' order.
/// </summary>
internal readonly record struct MatchPrecedence(int PathKind, int PathLength, int Method, int Headers, int QueryParams) : IComparable<MatchPrecedence>
{
    /// <summary>The precedence of <paramref name="match"/> (no path is <c>PathPrefix /</c>, as the API server defaults it).</summary>
    public static MatchPrecedence Of(HttpRouteMatchSpec match)
    {
        var (type, value) = (match.Path?.Type ?? "PathPrefix", match.Path?.Value ?? "/");
        return new(type switch { "Exact" => 0, "PathPrefix" => 1, _ => 2 }, value.Length, match.Method is null ? 0 : 1, match.Headers?.Count ?? 0, match.QueryParams?.Count ?? 0);
    }

    /// <inheritdoc />
    public int CompareTo(MatchPrecedence other) =>
        PathKind != other.PathKind ? PathKind.CompareTo(other.PathKind)
        : PathLength != other.PathLength ? other.PathLength.CompareTo(PathLength)
        : Method != other.Method ? other.Method.CompareTo(Method)
        : Headers != other.Headers ? other.Headers.CompareTo(Headers)
        : other.QueryParams.CompareTo(QueryParams);
}
