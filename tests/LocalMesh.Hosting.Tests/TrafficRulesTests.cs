using LocalMesh.Emulator.Configuration;
using LocalMesh.Hosting;

namespace LocalMesh.Hosting.Tests;

/// <summary>Traffic rules declared on the builder, as the compiler hands them to the data plane.</summary>
public sealed class TrafficRulesTests
{
    private static (IDistributedApplicationBuilder Builder, IResourceBuilder<MeshResource> Mesh, IResourceBuilder<MeshServiceResource> Reviews) Reviews()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var reviews = mesh.AddService("reviews")
            .WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", "."), version: "v1")
            .WithWorkload(builder.AddExecutable("reviews-v2", "dotnet", "."), version: "v2");
        return (builder, mesh, reviews);
    }

    private static MeshServiceConfig Compiled(IDistributedApplicationBuilder builder, IResourceBuilder<MeshResource> mesh) =>
        MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource).Config.Services.Single(s => s.Name == "reviews");

    [Fact]
    public void ASubsetSelectsItsVersionByDefaultAndMayCarryItsOwnPolicy()
    {
        var (builder, mesh, reviews) = Reviews();
        var leastRequest = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.LeastRequest } };

        reviews.WithSubset("v1").WithSubset("canary", new Dictionary<string, string> { ["version"] = "v2" }, leastRequest);

        var rule = Compiled(builder, mesh).DestinationRule!;
        Assert.Equal(["v1", "canary"], rule.Subsets!.Select(s => s.Name));
        Assert.Equal("v1", rule.Subsets![0].Labels["version"]);
        Assert.Equal("v2", rule.Subsets![1].Labels["version"]);
        Assert.Same(leastRequest, rule.Subsets![1].TrafficPolicy);
    }

    [Fact]
    public void RoutesKeepTheOrderTheyWereAddedIn()
    {
        var (builder, mesh, reviews) = Reviews();
        var jason = new HttpRoute
        {
            Name = "jason",
            Match = [new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") } }],
            Route = [new HttpRouteDestination(new Destination("reviews", "v2"))],
        };

        reviews.WithSubset("v1").WithSubset("v2").WithHttpRoute(jason).WithWeightedRoute(("v1", 80), ("v2", 20));

        var http = Compiled(builder, mesh).Http;
        Assert.Equal(2, http.Length);
        Assert.Same(jason, http[0]);
        Assert.Equal([("v1", 80), ("v2", 20)], http[1].Route!.Select(d => (d.Destination.Subset!, d.Weight!.Value)));
    }

    [Fact]
    public void TheTrafficPolicyAndPortReachTheDataPlane()
    {
        var (builder, mesh, reviews) = Reviews();
        var hash = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpHeaderName = "end-user" } } };

        reviews.WithPort(9080).WithTrafficPolicy(hash);

        var service = Compiled(builder, mesh);
        Assert.Equal(9080, service.Port);
        Assert.Same(hash, service.DestinationRule!.TrafficPolicy);
        Assert.Throws<ArgumentOutOfRangeException>(() => reviews.WithPort(0));
    }

    [Fact]
    public void RouteProblemsAndModelProblemsAreListedInOneError()
    {
        var (builder, mesh, reviews) = Reviews();
        mesh.AddService("empty");
        reviews.WithHttpRoute(new HttpRoute { Route = [new HttpRouteDestination(new Destination("reviews", "v1"))], Timeout = TimeSpan.FromSeconds(-3) });

        var error = Assert.Throws<MeshModelException>(() => MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource));

        Assert.Equal(2, error.Errors.Count);
        Assert.Contains(error.Errors, e => e is { Resource: "empty", Field: "workloads" });
        Assert.Contains(error.Errors, e => e is { Resource: "reviews", Field: "http[0].timeout" });
    }

    [Fact]
    public void WhereTheEmulatorDiffersFromIstioTheCompilerSaysSo()
    {
        var (builder, mesh, reviews) = Reviews();
        reviews.WithTrafficPolicy(new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.Passthrough } });

        var compiled = MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource);

        Assert.Contains("PASSTHROUGH", Assert.Single(compiled.Notices).Text);
    }
}
