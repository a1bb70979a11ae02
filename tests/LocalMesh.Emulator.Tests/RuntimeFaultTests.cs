using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Tests;

/// <summary>How a fault switched on at runtime becomes routes, as an Istio user would write them.</summary>
public sealed class RuntimeFaultTests
{
    private static readonly HttpFaultInjection Abort = new() { Abort = new FaultAbort(500, 100) };

    private static readonly MeshServiceConfig Reviews = new("reviews")
    {
        Http =
        [
            new HttpRoute
            {
                Name = "jason",
                Match = [new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") } }],
                Route = [new HttpRouteDestination(new Destination("reviews", "v2"))],
            },
            new HttpRoute { Name = "rest", Route = [new HttpRouteDestination(new Destination("reviews", "v1"))] },
        ],
    };

    [Fact]
    public void WithoutHeadersEveryRouteCarriesTheFault()
    {
        var faulted = new RuntimeFault(Abort).ApplyTo(Reviews);

        Assert.Equal(["jason-fault", "rest-fault"], faulted.Http.Select(r => r.Name));
        Assert.All(faulted.Http, route => Assert.Same(Abort, route.Fault));
        Assert.Equal(Reviews.Http[0].Match, faulted.Http[0].Match);
    }

    [Fact]
    public void WithHeadersEachRouteGetsAFaultedCopyJustBeforeItThatAlsoRequiresThem()
    {
        var faulted = new RuntimeFault(Abort, new Dictionary<string, string> { ["x-test"] = "yes" }).ApplyTo(Reviews);

        Assert.Equal(["jason-fault", "jason", "rest-fault", "rest"], faulted.Http.Select(r => r.Name));
        var jasonFault = faulted.Http[0].Match!.Single();
        Assert.Equal(StringMatch.Exact("jason"), jasonFault.Headers!["end-user"]);
        Assert.Equal(StringMatch.Exact("yes"), jasonFault.Headers!["x-test"]);
        Assert.Equal(StringMatch.Exact("yes"), faulted.Http[2].Match!.Single().Headers!["x-test"]);
        Assert.Null(faulted.Http[3].Fault);
        Assert.Empty(MeshConfigValidator.Validate(new MeshConfig
        {
            Services = [faulted with { DestinationRule = new DestinationRule { Subsets = [new Subset("v1", new Dictionary<string, string> { ["version"] = "v1" }), new Subset("v2", new Dictionary<string, string> { ["version"] = "v2" })] } }],
        }).Errors);
    }

    [Fact]
    public void AServiceWithoutRoutesGetsAFaultedRouteToAllItsEndpoints()
    {
        var faulted = new RuntimeFault(Abort, new Dictionary<string, string> { ["end-user"] = "jason" }).ApplyTo(new MeshServiceConfig("ratings"));

        Assert.Equal(2, faulted.Http.Length);
        Assert.Same(Abort, faulted.Http[0].Fault);
        Assert.Equal("ratings", faulted.Http[1].Route!.Single().Destination.Host);
        Assert.Null(faulted.Http[1].Match);
    }

    [Fact]
    public void ARedirectIsLeftAlone()
    {
        var redirect = new HttpRoute { Name = "old", Match = [new HttpMatchRequest { Uri = StringMatch.Exact("/old") }], Redirect = new HttpRedirect { Uri = "/new" } };

        var faulted = new RuntimeFault(Abort).ApplyTo(new MeshServiceConfig("reviews") { Http = [redirect] });

        Assert.Same(redirect, Assert.Single(faulted.Http));
    }

    [Fact]
    public void ItDescribesItselfForTheDashboard() =>
        Assert.Equal(
            "delay 7s at 100%, abort 503 at 50% when end-user=jason",
            new RuntimeFault(new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromSeconds(7), 100), Abort = new FaultAbort(503, 50) },
                new Dictionary<string, string> { ["end-user"] = "jason" }).ToString());

    [Theory]
    [InlineData("7s", 7000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120000)]
    [InlineData("1h", 3600000)]
    public void DurationsAreReadAsIstioWritesThem(string text, double milliseconds)
    {
        Assert.True(MeshDuration.TryParse(text, out var duration));
        Assert.Equal(milliseconds, duration.TotalMilliseconds);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("seven seconds")]
    [InlineData("-1s")]
    [InlineData(null)]
    public void WhatIsNotADurationIsRefused(string? text) => Assert.False(MeshDuration.TryParse(text, out _));
}
