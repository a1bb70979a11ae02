using System.Collections.Frozen;
using LocalMesh.Emulator.Configuration;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Routing;

/// <summary>What a match condition may look at besides the request itself.</summary>
/// <param name="SourceLabels">The calling workload's labels (empty when the caller is unknown).</param>
/// <param name="Port">The service port the request was addressed to.</param>
internal readonly record struct MatchContext(IReadOnlyDictionary<string, string> SourceLabels, int Port);

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

    public bool IsMatch(HttpRequest request, in MatchContext context)
    {
        if (_uri is not null && !_uri.IsMatch(request.Path.Value ?? "/"))
        {
            return false;
        }

        if (_scheme is not null && !_scheme.IsMatch(request.Scheme))
        {
            return false;
        }

        if (_method is not null && !_method.IsMatch(request.Method))
        {
            return false;
        }

        if (_authority is not null && !_authority.IsMatch(request.Host.Value))
        {
            return false;
        }

        if (_match.Port is { } port && port != context.Port)
        {
            return false;
        }

        foreach (var (name, matcher) in _headers)
        {
            if (!matcher.IsMatch(Header(request, name)))
            {
                return false;
            }
        }

        foreach (var (name, matcher) in _withoutHeaders)
        {
            if (matcher.IsMatch(Header(request, name)))
            {
                return false;
            }
        }

        foreach (var (name, matcher) in _queryParams)
        {
            // "?key" has the value "", which exact: "" matches.
            if (!request.Query.TryGetValue(name, out var values) || !matcher.IsMatch(values.Count == 0 ? "" : values[0] ?? ""))
            {
                return false;
            }
        }

        if (_match.SourceLabels is { } labels)
        {
            foreach (var (key, value) in labels)
            {
                if (!context.SourceLabels.TryGetValue(key, out var actual) || actual != value)
                {
                    return false;
                }
            }
        }

        return true;
    }

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
