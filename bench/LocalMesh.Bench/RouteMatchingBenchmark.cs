using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.State;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Bench;

/// <summary>
/// Per-request route matching with 1, 100 and 1,000 routes: the request matches the last route,
/// so every route before it is tried (each a path prefix and a header), as Envoy would.
/// </summary>
public class RouteMatchingBenchmark
{
    private const string Area = "Route matching";
    private const double TargetP99Microseconds = 20;

    private RouteTable _table = null!;
    private HttpRequest _request = null!;
    private MatchContext _context;

    [Params(1, 100, 1000)]
    public int Routes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var routes = Enumerable.Range(0, Routes - 1).Select(index => new HttpRoute
        {
            Name = $"route-{index}",
            Match =
            [
                new HttpMatchRequest
                {
                    Uri = new StringMatch(StringMatchKind.Prefix, $"/api/v{index}/"),
                    Headers = new Dictionary<string, StringMatch> { ["end-user"] = new(StringMatchKind.Exact, $"user-{index}") },
                },
            ],
            Route = [new HttpRouteDestination(new Destination("reviews"))],
        }).Append(new HttpRoute
        {
            Name = "last",
            Match = [new HttpMatchRequest { Uri = new StringMatch(StringMatchKind.Prefix, "/reviews/"), Headers = new Dictionary<string, StringMatch> { ["end-user"] = new(StringMatchKind.Exact, "jason") } }],
            Route = [new HttpRouteDestination(new Destination("reviews"))],
        });
        var config = new MeshConfig { Services = [new MeshServiceConfig("reviews") { Http = [.. routes] }] };
        var snapshot = MeshSnapshot.Build(config, ImmutableDictionary<string, int>.Empty, ImmutableDictionary<string, Uri>.Empty, version: 1);
        _table = snapshot.Routes["reviews"];
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        http.Request.Path = "/reviews/0";
        http.Request.Headers["end-user"] = "jason";
        _request = http.Request;
        _context = new MatchContext(NoLabels.Instance, _table.Port);
    }

    [Benchmark]
    public string? Match() => _table.Match(_request, _context)?.Route.Name;

    internal static IReadOnlyList<Row> Run()
    {
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithIterationCount(15))
            .AddLogger(BenchmarkDotNet.Loggers.NullLogger.Instance)
            .AddColumnProvider(BenchmarkDotNet.Columns.DefaultColumnProviders.Instance)
            .WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<RouteMatchingBenchmark>(config);
        return [.. summary.Reports.Select(report =>
        {
            var routes = (int)report.BenchmarkCase.Parameters["Routes"];
            var p99 = report.ResultStatistics!.Percentiles.Percentile(99) / 1000;
            var measure = $"match the last of {routes} route{(routes == 1 ? "" : "s")}, p99 (mean {report.ResultStatistics.Mean / 1000:0.###} µs)";
            return routes == 1000 ? Row.AtMost(Area, measure, p99, TargetP99Microseconds, "µs") : new Row(Area, measure, Row.Format(p99, "µs"));
        })];
    }
}
