using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.LoadBalancing;

namespace LocalMesh.Emulator.Tests;

public sealed class RoundRobinTests
{
    private static readonly UpstreamEndpoint[] Endpoints =
        [.. new[] { "a", "b", "c" }.Select(name => new UpstreamEndpoint(name, 0, ImmutableDictionary<string, string>.Empty, new Uri("http://127.0.0.1:1")))];

    [Fact]
    public void EndpointsTakeTurnsInOrder()
    {
        var roundRobin = new RoundRobin();

        var picks = Enumerable.Range(0, 7).Select(_ => roundRobin.Pick("svc", Endpoints)!.Workload);

        Assert.Equal(["a", "b", "c", "a", "b", "c", "a"], picks);
    }

    [Fact]
    public void EachServiceHasItsOwnTurn()
    {
        var roundRobin = new RoundRobin();
        roundRobin.Pick("one", Endpoints);
        roundRobin.Pick("one", Endpoints);

        Assert.Equal("a", roundRobin.Pick("two", Endpoints)!.Workload);
    }

    [Fact]
    public void NoEndpointsMeansNoPick() => Assert.Null(new RoundRobin().Pick("svc", []));
}
