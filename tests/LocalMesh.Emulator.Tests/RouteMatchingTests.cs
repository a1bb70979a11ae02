using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Tests;

/// <summary>VirtualService <c>http[].match</c>, rule by rule (docs/semantics.md, Routes).</summary>
public sealed class RouteMatchingTests
{
    private static readonly MatchContext NoSource = new(NoLabels.Instance, 80);

    private static bool Matches(HttpMatchRequest match, Action<HttpRequest> request, MatchContext? context = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        http.Request.Scheme = "http";
        http.Request.Host = new HostString("reviews:80");
        http.Request.Path = "/";
        request(http.Request);
        return new RouteMatcher(match).IsMatch(http.Request, context ?? NoSource);
    }

    [Theory]
    [InlineData("/reviews", true)]
    [InlineData("/reviews/0", false)]
    [InlineData("/Reviews", false)]
    public void UriExactMatchesTheWholePathCaseSensitively(string path, bool expected) =>
        Assert.Equal(expected, Matches(new() { Uri = StringMatch.Exact("/reviews") }, r => r.Path = path));

    [Theory]
    [InlineData("/reviews/0", true)]
    [InlineData("/reviewsx", true)]
    [InlineData("/ratings", false)]
    public void UriPrefixMatchesTheStart(string path, bool expected) =>
        Assert.Equal(expected, Matches(new() { Uri = StringMatch.Prefix("/reviews") }, r => r.Path = path));

    [Theory]
    [InlineData("/reviews/12", true)]
    [InlineData("/reviews/12/x", false)]
    [InlineData("/x/reviews/12", false)]
    public void UriRegexMustMatchTheWholePath(string path, bool expected) =>
        Assert.Equal(expected, Matches(new() { Uri = StringMatch.Regex("/reviews/[0-9]+") }, r => r.Path = path));

    [Fact]
    public void IgnoreUriCaseAppliesToExactAndPrefix()
    {
        Assert.True(Matches(new() { Uri = StringMatch.Exact("/Reviews"), IgnoreUriCase = true }, r => r.Path = "/rEVIEWS"));
        Assert.True(Matches(new() { Uri = StringMatch.Prefix("/API"), IgnoreUriCase = true }, r => r.Path = "/api/v1"));
    }

    [Fact]
    public void TheQueryStringIsNotPartOfTheUri() =>
        Assert.True(Matches(new() { Uri = StringMatch.Exact("/productpage") }, r => { r.Path = "/productpage"; r.QueryString = new QueryString("?u=1"); }));

    [Fact]
    public void MethodAuthorityAndSchemeMatch()
    {
        Assert.True(Matches(new() { Method = StringMatch.Exact("POST") }, r => r.Method = "POST"));
        Assert.False(Matches(new() { Method = StringMatch.Exact("POST") }, r => r.Method = "GET"));
        Assert.True(Matches(new() { Authority = StringMatch.Prefix("reviews") }, _ => { }));
        Assert.False(Matches(new() { Authority = StringMatch.Exact("ratings") }, _ => { }));
        Assert.True(Matches(new() { Scheme = StringMatch.Exact("http") }, _ => { }));
        Assert.False(Matches(new() { Scheme = StringMatch.Exact("https") }, _ => { }));
    }

    [Theory]
    [InlineData("jason", true)]
    [InlineData("Jason", false)]
    [InlineData(null, false)]
    public void HeaderExactIsCaseSensitiveAndNeedsTheHeader(string? user, bool expected) =>
        Assert.Equal(expected, Matches(
            new() { Headers = new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") } },
            r => { if (user is not null) { r.Headers["End-User"] = user; } }));

    [Fact]
    public void HeaderPrefixAndRegexMatch()
    {
        Assert.True(Matches(new() { Headers = new Dictionary<string, StringMatch> { ["x-env"] = StringMatch.Prefix("prod") } }, r => r.Headers["x-env"] = "prod-eu"));
        Assert.True(Matches(new() { Headers = new Dictionary<string, StringMatch> { ["x-env"] = StringMatch.Regex("prod-(eu|us)") } }, r => r.Headers["x-env"] = "prod-us"));
        Assert.False(Matches(new() { Headers = new Dictionary<string, StringMatch> { ["x-env"] = StringMatch.Regex("prod") } }, r => r.Headers["x-env"] = "prod-us"));
    }

    [Fact]
    public void AnEmptyHeaderMatcherOnlyChecksPresence()
    {
        var match = new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["x-canary"] = StringMatch.Present } };

        Assert.True(Matches(match, r => r.Headers["x-canary"] = ""));
        Assert.True(Matches(match, r => r.Headers["x-canary"] = "anything"));
        Assert.False(Matches(match, _ => { }));
    }

    [Fact]
    public void WithoutHeadersExcludes()
    {
        var match = new HttpMatchRequest
        {
            Uri = StringMatch.Prefix("/"),
            WithoutHeaders = new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") },
        };

        Assert.False(Matches(match, r => r.Headers["end-user"] = "jason"));
        Assert.True(Matches(match, r => r.Headers["end-user"] = "kim"));
        Assert.True(Matches(match, _ => { }));
    }

    [Theory]
    [InlineData("?debug", true)]
    [InlineData("?debug=", true)]
    [InlineData("?debug=1", false)]
    [InlineData("", false)]
    public void QueryParamExactEmptyMatchesAKeyWithoutValue(string query, bool expected) =>
        Assert.Equal(expected, Matches(
            new() { QueryParams = new Dictionary<string, StringMatch> { ["debug"] = StringMatch.Exact("") } },
            r => r.QueryString = new QueryString(query)));

    [Theory]
    [InlineData("?id=42", true)]
    [InlineData("?id=42a", false)]
    public void QueryParamRegexMustMatchTheWholeValue(string query, bool expected) =>
        Assert.Equal(expected, Matches(
            new() { QueryParams = new Dictionary<string, StringMatch> { ["id"] = StringMatch.Regex("[0-9]+") } },
            r => r.QueryString = new QueryString(query)));

    [Fact]
    public void SourceLabelsAreTheCallersWorkloadLabels()
    {
        var match = new HttpMatchRequest { SourceLabels = new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v2" } };
        var v2 = new MatchContext(ImmutableDictionary<string, string>.Empty.Add("app", "productpage").Add("version", "v2"), 80);
        var v1 = new MatchContext(ImmutableDictionary<string, string>.Empty.Add("app", "productpage").Add("version", "v1"), 80);

        Assert.True(Matches(match, _ => { }, v2));
        Assert.False(Matches(match, _ => { }, v1));
        Assert.False(Matches(match, _ => { }, NoSource));
    }

    [Fact]
    public void PortIsTheServicePortTheRequestWasFor()
    {
        Assert.True(Matches(new() { Port = 9080 }, _ => { }, new MatchContext(NoLabels.Instance, 9080)));
        Assert.False(Matches(new() { Port = 9080 }, _ => { }, NoSource));
    }

    [Fact]
    public void ConditionsInOneMatchAreAllRequired()
    {
        var match = new HttpMatchRequest
        {
            Uri = StringMatch.Prefix("/reviews"),
            Headers = new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") },
        };

        Assert.True(Matches(match, r => { r.Path = "/reviews/0"; r.Headers["end-user"] = "jason"; }));
        Assert.False(Matches(match, r => r.Path = "/reviews/0"));
        Assert.False(Matches(match, r => { r.Path = "/ratings"; r.Headers["end-user"] = "jason"; }));
    }

    [Fact]
    public void MatchEntriesAreAlternativesAndTheFirstMatchingRouteWins()
    {
        var table = Table(
            new HttpRoute
            {
                Name = "jason-or-admin",
                Match =
                [
                    new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") } },
                    new HttpMatchRequest { Uri = StringMatch.Prefix("/admin") },
                ],
                Route = [new HttpRouteDestination(new Destination("reviews"))],
            },
            new HttpRoute { Name = "reviews", Match = [new HttpMatchRequest { Uri = StringMatch.Prefix("/") }], Route = [new HttpRouteDestination(new Destination("reviews"))] },
            new HttpRoute { Name = "catch-all", Route = [new HttpRouteDestination(new Destination("reviews"))] });

        Assert.Equal("jason-or-admin", RouteFor(table, r => r.Headers["end-user"] = "jason"));
        Assert.Equal("jason-or-admin", RouteFor(table, r => r.Path = "/admin/x"));
        Assert.Equal("reviews", RouteFor(table, r => r.Path = "/other"));
    }

    [Fact]
    public void NoMatchingRouteMeansNoRoute()
    {
        var table = Table(new HttpRoute { Match = [new HttpMatchRequest { Uri = StringMatch.Exact("/only") }], Route = [new HttpRouteDestination(new Destination("reviews"))] });

        Assert.Null(RouteFor(table, r => r.Path = "/other"));
    }

    [Fact]
    public void AServiceWithoutRoutesSendsEverythingToAllItsEndpoints()
    {
        var table = Table();

        Assert.Equal("default", RouteFor(table, r => r.Path = "/anything"));
    }

    private static RouteTable Table(params HttpRoute[] routes)
    {
        var config = new MeshConfig { Services = [new MeshServiceConfig("reviews") { Http = [.. routes] }] };
        return RouteCompiler.Compile(config, new Dictionary<string, ImmutableArray<UpstreamEndpoint>>()).Routes["reviews"];
    }

    private static string? RouteFor(RouteTable table, Action<HttpRequest> request)
    {
        var http = new DefaultHttpContext();
        http.Request.Path = "/";
        request(http.Request);
        return table.Match(http.Request, NoSource)?.Route.Name;
    }
}
