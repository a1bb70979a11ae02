using System.Collections.Frozen;
using LocalMesh.Emulator.Configuration;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Routing;

/// <summary>What a match condition may look at besides the request itself.</summary>
/// <param name="SourceLabels">The calling workload's labels (empty when the caller is unknown).</param>
/// <param name="Port">The service port the request was addressed to.</param>
internal readonly record struct MatchContext(IReadOnlyDictionary<string, string> SourceLabels, int Port);

/// <summary>Which condition of a match entry decided that a request does not match.</summary>
internal enum MatchCondition
{
    None,
    Uri,
    Scheme,
    Method,
    Authority,
    Port,
    Header,
    WithoutHeader,
    QueryParam,
    SourceLabel,
}

/// <summary>A compiled <see cref="HttpMatchRequest"/>: all of its conditions must hold.</summary>
internal sealed class RouteMatcher
{
    private readonly HttpMatchRequest _match;
    private readonly StringMatcher? _uri;
    private readonly StringMatcher? _scheme;
    private readonly StringMatcher? _method;
    private readonly StringMatcher? _authority;
    private readonly (string Name, StringMatcher Matcher)[] _headers;
    private readonly (string Name, StringMatcher Matcher)[] _withoutHeaders;
    private readonly (string Name, StringMatcher Matcher)[] _queryParams;

    public RouteMatcher(HttpMatchRequest match)
    {
        _match = match;
        _uri = match.Uri is null ? null : new StringMatcher(match.Uri, match.IgnoreUriCase && match.Uri.Kind != StringMatchKind.Regex);
        _scheme = match.Scheme is null ? null : new StringMatcher(match.Scheme);
        _method = match.Method is null ? null : new StringMatcher(match.Method);
        _authority = match.Authority is null ? null : new StringMatcher(match.Authority);
        _headers = Compile(match.Headers);
        _withoutHeaders = Compile(match.WithoutHeaders);
        _queryParams = Compile(match.QueryParams);
    }

    /// <summary>What a catch-all route (one without match entries) matches by.</summary>
    public static readonly RouteMatcher CatchAll = new(new HttpMatchRequest());

    public string? Name => _match.Name;

    public StringMatch? Uri => _match.Uri;

    public bool IgnoreUriCase => _match.IgnoreUriCase;

    public bool IsMatch(HttpRequest request, in MatchContext context) => FirstFailing(request, context, out _) == MatchCondition.None;

    /// <summary>
    /// The first condition that does not hold (<see cref="MatchCondition.None"/> when all do), with
    /// the header, query parameter or label it concerns, in the order Envoy checks them.
    /// </summary>
    public MatchCondition FirstFailing(HttpRequest request, in MatchContext context, out string? name)
    {
        name = null;
        if (_uri is not null && !_uri.IsMatch(request.Path.Value ?? "/"))
        {
            return MatchCondition.Uri;
        }

        if (_scheme is not null && !_scheme.IsMatch(request.Scheme))
        {
            return MatchCondition.Scheme;
        }

        if (_method is not null && !_method.IsMatch(request.Method))
        {
            return MatchCondition.Method;
        }

        if (_authority is not null && !_authority.IsMatch(request.Host.Value))
        {
            return MatchCondition.Authority;
        }

        if (_match.Port is { } port && port != context.Port)
        {
            return MatchCondition.Port;
        }

        foreach (var (header, matcher) in _headers)
        {
            if (!matcher.IsMatch(Header(request, header)))
            {
                name = header;
                return MatchCondition.Header;
            }
        }

        foreach (var (header, matcher) in _withoutHeaders)
        {
            if (matcher.IsMatch(Header(request, header)))
            {
                name = header;
                return MatchCondition.WithoutHeader;
            }
        }

        foreach (var (parameter, matcher) in _queryParams)
        {
            // "?key" has the value "", which exact: "" matches.
            if (!request.Query.TryGetValue(parameter, out var values) || !matcher.IsMatch(values.Count == 0 ? "" : values[0] ?? ""))
            {
                name = parameter;
                return MatchCondition.QueryParam;
            }
        }

        if (_match.SourceLabels is { } labels)
        {
            foreach (var (key, value) in labels)
            {
                if (!context.SourceLabels.TryGetValue(key, out var actual) || actual != value)
                {
                    name = key;
                    return MatchCondition.SourceLabel;
                }
            }
        }

        return MatchCondition.None;
    }

    /// <summary>The match entry this matcher was compiled from.</summary>
    public HttpMatchRequest Config => _match;

    /// <summary>Several values of one header are matched as Envoy joins them: comma separated.</summary>
    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var values) ? values.ToString() : null;

    private static (string, StringMatcher)[] Compile(IReadOnlyDictionary<string, StringMatch>? matches) =>
        matches is null ? [] : [.. matches.Select(pair => (pair.Key.ToLowerInvariant(), new StringMatcher(pair.Value)))];
}

/// <summary>The source labels of a caller that is not a workload of the mesh.</summary>
internal static class NoLabels
{
    public static readonly IReadOnlyDictionary<string, string> Instance = FrozenDictionary<string, string>.Empty;
}
