using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.State;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// The route table's URI index only skips routes that cannot match: for many tables with routes
/// of every kind and many requests, it picks exactly the route a plain first-match scan picks.
/// </summary>
public sealed class RouteIndexTests
{
    private static readonly string[] Paths =
        ["/", "/reviews", "/reviews/", "/reviews/0", "/reviews/0/x", "/ratings", "/ratings/1", "/Reviews/1", "/api", "/api/v1/", "/api/v1/items", "/api/v2/x", "/r", "/zzz"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void TheIndexedTableChoosesTheSameRouteAsAnInOrderScan(int seed)
    {
        var random = new Random(seed);
        StringMatch? Uri() => random.Next(10) switch
        {
            0 => null,
            1 or 2 => StringMatch.Exact(Paths[random.Next(Paths.Length)]),
            3 => new StringMatch(StringMatchKind.Regex, "/rat.*"),
            _ => StringMatch.Prefix(Paths[random.Next(1, Paths.Length)]),
        };
        HttpMatchRequest Entry()
        {
            var uri = Uri();
            return new()
            {
                Uri = uri,
                IgnoreUriCase = random.Next(8) == 0,
                // An entry without a path condition matches only jason, so it is no catch-all.
                Headers = uri is null || random.Next(4) == 0 ? new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") } : null,
            };
        }

        var routes = Enumerable.Range(0, 300).Select(index => new HttpRoute
        {
            Name = $"route-{index}",
            Match = index == 299 ? null : [.. Enumerable.Range(0, 1 + random.Next(2)).Select(_ => Entry())],
            Route = [new HttpRouteDestination(new Destination("reviews"))],
        }).ToList();
        var config = new MeshConfig { Services = [new MeshServiceConfig("reviews") { Http = [.. routes] }] };
        var table = MeshSnapshot.Build(config, ImmutableDictionary<string, int>.Empty, ImmutableDictionary<string, Uri>.Empty, version: 1).Routes["reviews"];
        var context = new MatchContext(NoLabels.Instance, 80);
        var chosen = new HashSet<string?>();

        foreach (var path in Paths.Concat(["/reviewsX", "/REVIEWS", "/api/v1", "/ratings/1/2"]))
        {
            foreach (var user in new[] { null, "jason" })
            {
                var http = new DefaultHttpContext();
                http.Request.Path = path;
                if (user is not null)
                {
                    http.Request.Headers["end-user"] = user;
                }

                var scanned = table.Routes.First(route => route.Match(http.Request, context) is not null).Name;
                Assert.Equal(scanned, table.Match(http.Request, context)?.Route.Name);
                chosen.Add(scanned);
            }
        }

        // The requests reach deep into the table, not only its first routes.
        Assert.True(chosen.Count >= 8, $"only {chosen.Count} distinct routes chosen: {string.Join(", ", chosen)}");
    }
}
