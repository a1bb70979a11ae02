using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;

namespace LocalMesh.Emulator.Tests;

/// <summary>Weights, subsets, retries, back-off and timeouts as compiled decisions, with the dice scripted.</summary>
public sealed class RouteDecisionTests
{
    private static readonly ImmutableArray<UpstreamEndpoint> Endpoints =
    [
        Endpoint("reviews-v1", "v1"), Endpoint("reviews-v2", "v2"), Endpoint("reviews-v3", "v3"),
    ];

    private static UpstreamEndpoint Endpoint(string workload, string version) =>
        new(workload, 0, ImmutableDictionary<string, string>.Empty.Add("app", "reviews").Add("version", version), new Uri("http://127.0.0.1:1"));

    private static readonly DestinationRule Versions = new()
    {
        Subsets = [.. new[] { "v1", "v2", "v3" }.Select(v => new Subset(v, new Dictionary<string, string> { ["version"] = v }))],
    };

    private static CompiledRoute Compile(HttpRoute route, DestinationRule? rule = null)
    {
        var config = new MeshConfig { Services = [new MeshServiceConfig("reviews") { Http = [route], DestinationRule = rule ?? Versions }] };
        var upstreams = new Dictionary<string, ImmutableArray<UpstreamEndpoint>> { ["reviews"] = Endpoints };
        return RouteCompiler.Compile(config, upstreams).Routes["reviews"].Routes.Single();
    }

    private static HttpRouteDestination To(string subset, int? weight = null) => new(new Destination("reviews", subset), weight);

    [Fact]
    public void WeightsAreRelativeShares()
    {
        var route = Compile(new HttpRoute { Route = [To("v1", 1), To("v3", 3)] });

        // 4 units of weight: [0, 1) is v1, [1, 4) is v3.
        Assert.Equal("v1", route.PickDestination(new ScriptedRandom(0.0))!.Cluster.Subset);
        Assert.Equal("v1", route.PickDestination(new ScriptedRandom(0.24))!.Cluster.Subset);
        Assert.Equal("v3", route.PickDestination(new ScriptedRandom(0.25))!.Cluster.Subset);
        Assert.Equal("v3", route.PickDestination(new ScriptedRandom(0.99))!.Cluster.Subset);
    }

    [Fact]
    public void WeightsNeedNotSumTo100()
    {
        var route = Compile(new HttpRoute { Route = [To("v1", 20), To("v2", 20)] });

        Assert.Equal("v1", route.PickDestination(new ScriptedRandom(0.49))!.Cluster.Subset);
        Assert.Equal("v2", route.PickDestination(new ScriptedRandom(0.5))!.Cluster.Subset);
    }

    [Fact]
    public void AZeroWeightDestinationGetsNothing()
    {
        var route = Compile(new HttpRoute { Route = [To("v1", 0), To("v3", 100)] });

        Assert.All(new[] { 0.0, 0.5, 0.999 }, dice => Assert.Equal("v3", route.PickDestination(new ScriptedRandom(dice))!.Cluster.Subset));
    }

    [Fact]
    public void ALoneDestinationGetsEverythingWhateverItsWeight()
    {
        var route = Compile(new HttpRoute { Route = [To("v2")] });

        Assert.Equal("v2", route.PickDestination(new ScriptedRandom(0.999))!.Cluster.Subset);
    }

    [Fact]
    public void ASubsetHoldsTheEndpointsWithItsLabels()
    {
        var route = Compile(new HttpRoute { Route = [To("v2")] });

        Assert.Equal(["reviews-v2"], route.Destinations.Single().Cluster.Endpoints.Select(e => e.Workload));
        Assert.Equal("outbound|80|v2|reviews", route.Destinations.Single().Cluster.Name);
    }

    [Fact]
    public void ASubsetsPolicyOverridesTheRulesForTrafficToThatSubset()
    {
        var rule = Versions with
        {
            TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.Random } },
            Subsets =
            [
                new Subset("v1", new Dictionary<string, string> { ["version"] = "v1" })
                {
                    TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.LeastRequest } },
                },
                new Subset("v2", new Dictionary<string, string> { ["version"] = "v2" }),
            ],
        };

        var route = Compile(new HttpRoute { Route = [To("v1", 50), To("v2", 50)] }, rule);

        Assert.Equal(SimpleLoadBalancer.LeastRequest, route.Destinations[0].Cluster.LoadBalancer.Simple);
        Assert.Equal(SimpleLoadBalancer.Random, route.Destinations[1].Cluster.LoadBalancer.Simple);
    }

    [Fact]
    public void WithoutRetriesIstiosDefaultPolicyApplies()
    {
        var retry = Compile(new HttpRoute { Route = [To("v1")] }).Retry;

        Assert.Equal(2, retry.Attempts);
        Assert.True(retry.IsRetriable(503, null, TryFailure.None));
        Assert.False(retry.IsRetriable(500, null, TryFailure.None));
        Assert.False(retry.IsRetriable(504, null, TryFailure.None));
        Assert.True(retry.IsRetriable(null, null, TryFailure.ConnectFailure));
        Assert.False(retry.IsRetriable(null, null, TryFailure.Reset));
        Assert.True(retry.IsRetriable(200, 14, TryFailure.None)); // gRPC UNAVAILABLE
        Assert.True(retry.IsRetriable(200, 1, TryFailure.None));  // gRPC CANCELLED
    }

    [Fact]
    public void ZeroAttemptsDisablesRetries() =>
        Assert.Equal(0, Compile(new HttpRoute { Route = [To("v1")], Retries = new HttpRetry { Attempts = 0 } }).Retry.Attempts);

    [Theory]
    [InlineData("5xx", 500, true)]
    [InlineData("5xx", 503, true)]
    [InlineData("5xx", 404, false)]
    [InlineData("gateway-error", 502, true)]
    [InlineData("gateway-error", 504, true)]
    [InlineData("gateway-error", 500, false)]
    [InlineData("retriable-4xx", 409, true)]
    [InlineData("retriable-4xx", 404, false)]
    [InlineData("connect-failure", 503, false)]
    [InlineData("500,502", 500, true)]
    [InlineData("500,502", 503, false)]
    public void RetryOnConditionsMeanWhatEnvoyMeans(string retryOn, int status, bool retried)
    {
        var retry = Compile(new HttpRoute { Route = [To("v1")], Retries = new HttpRetry { Attempts = 3, RetryOn = retryOn } }).Retry;

        Assert.Equal(retried, retry.IsRetriable(status, null, TryFailure.None));
    }

    [Theory]
    [InlineData("5xx", "Reset", true)]
    [InlineData("5xx", "ConnectFailure", true)]
    [InlineData("5xx", "PerTryTimeout", true)]
    [InlineData("reset", "Reset", true)]
    [InlineData("connect-failure", "ConnectFailure", true)]
    [InlineData("connect-failure", "Reset", false)]
    [InlineData("retriable-4xx", "ConnectFailure", false)]
    public void FailuresWithoutAResponseAreRetriedByTheConditionsThatCoverThem(string retryOn, string failure, bool retried)
    {
        var retry = Compile(new HttpRoute { Route = [To("v1")], Retries = new HttpRetry { Attempts = 1, RetryOn = retryOn } }).Retry;

        Assert.Equal(retried, retry.IsRetriable(null, null, Enum.Parse<TryFailure>(failure)));
    }

    [Fact]
    public void ARouteWithAFaultHasNoTimeoutAndNoRetries()
    {
        var route = Compile(new HttpRoute
        {
            Route = [To("v1")],
            Timeout = TimeSpan.FromSeconds(1),
            Retries = new HttpRetry { Attempts = 3, RetryOn = "5xx" },
            Fault = new HttpFaultInjection { Abort = new FaultAbort(500, 100) },
        });

        Assert.Null(route.Timeout);
        Assert.Equal(0, route.Retry.Attempts);
    }

    [Fact]
    public void TimeoutIsOffByDefault() => Assert.Null(Compile(new HttpRoute { Route = [To("v1")] }).Timeout);

    [Fact]
    public void PerTryTimeoutIsKept() =>
        Assert.Equal(TimeSpan.FromMilliseconds(300), Compile(new HttpRoute
        {
            Route = [To("v1")],
            Retries = new HttpRetry { Attempts = 2, PerTryTimeout = TimeSpan.FromMilliseconds(300) },
        }).Retry.PerTryTimeout);

    [Theory]
    [InlineData(1, 25)]
    [InlineData(2, 50)]
    [InlineData(3, 100)]
    [InlineData(4, 200)]
    [InlineData(5, 250)]
    [InlineData(9, 250)]
    public void BackOffIsFullyJitteredBelowABoundThatDoublesFrom25msUpTo250ms(int retry, double bound)
    {
        Assert.Equal(TimeSpan.Zero, RetryBackoff.Next(retry, new ScriptedRandom(0)));
        Assert.Equal(bound / 2, RetryBackoff.Next(retry, new ScriptedRandom(0.5)).TotalMilliseconds, 3);
        Assert.True(RetryBackoff.Next(retry, new ScriptedRandom(0.9999)).TotalMilliseconds < bound);
    }

    [Fact]
    public void AMirrorWithoutPercentageMirrorsEverything()
    {
        var route = Compile(new HttpRoute { Route = [To("v1")], Mirror = new Destination("reviews", "v3") });

        Assert.Equal(100, route.MirrorPercentage);
        Assert.Equal("v3", route.Mirror!.Subset);
    }
}
