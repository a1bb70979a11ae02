using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.LoadBalancing;
using LocalMesh.Emulator.Routing;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Tests;

/// <summary>DestinationRule <c>loadBalancer</c>, rule by rule, with the dice scripted.</summary>
public sealed class LoadBalancerTests
{
    private static readonly ImmutableArray<UpstreamEndpoint> Endpoints =
        [.. new[] { "a", "b", "c" }.Select(name => new UpstreamEndpoint(name, 0, ImmutableDictionary<string, string>.Empty, new Uri("http://127.0.0.1:1")))];

    private static Cluster ClusterWith(LoadBalancerSettings settings) => new("svc", 80, null, Endpoints, settings);

    private static string Pick(LoadBalancer balancer, Cluster cluster, HttpContext? context = null, params UpstreamEndpoint[] tried) =>
        balancer.Pick(cluster, context ?? new DefaultHttpContext(), tried)!.Workload;

    [Fact]
    public void RoundRobinGivesEachEndpointItsTurnInOrder()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0), new EndpointLoad());
        var cluster = ClusterWith(new LoadBalancerSettings { Simple = SimpleLoadBalancer.RoundRobin });

        Assert.Equal(["a", "b", "c", "a", "b"], Enumerable.Range(0, 5).Select(_ => Pick(balancer, cluster)));
    }

    [Fact]
    public void EachClusterHasItsOwnTurn()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0), new EndpointLoad());
        var settings = new LoadBalancerSettings { Simple = SimpleLoadBalancer.RoundRobin };
        Pick(balancer, ClusterWith(settings));
        Pick(balancer, ClusterWith(settings));

        Assert.Equal("a", Pick(balancer, new Cluster("other", 80, null, Endpoints, settings)));
    }

    [Fact]
    public void RandomPicksWhereTheDiceFall()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0.9, 0.1, 0.5), new EndpointLoad());
        var cluster = ClusterWith(new LoadBalancerSettings { Simple = SimpleLoadBalancer.Random });

        Assert.Equal(["c", "a", "b"], Enumerable.Range(0, 3).Select(_ => Pick(balancer, cluster)));
    }

    [Fact]
    public void LeastRequestTakesTheLessBusyOfTwoRandomEndpoints()
    {
        var load = new EndpointLoad();
        using var busy = load.Begin(Endpoints[0]);
        // The two choices are a (busy) and c (idle): c wins; then a and a: a it is.
        var balancer = new LoadBalancer(new ScriptedRandom(0.0, 0.9, 0.0, 0.0), load);
        var cluster = ClusterWith(new LoadBalancerSettings { Simple = SimpleLoadBalancer.LeastRequest });

        Assert.Equal("c", Pick(balancer, cluster));
        Assert.Equal("a", Pick(balancer, cluster));
    }

    [Fact]
    public void ARetryAvoidsTheEndpointsAlreadyTried()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0.0, 0.0, 0.5), new EndpointLoad());
        var cluster = ClusterWith(new LoadBalancerSettings { Simple = SimpleLoadBalancer.Random });

        Assert.Equal("b", Pick(balancer, cluster, null, Endpoints[0]));
    }

    [Fact]
    public void WhenEveryEndpointWasTriedTheLastPickIsUsed()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0), new EndpointLoad());
        var cluster = new Cluster("svc", 80, null, [Endpoints[0]], new LoadBalancerSettings { Simple = SimpleLoadBalancer.Random });

        Assert.Equal("a", Pick(balancer, cluster, null, Endpoints[0]));
    }

    [Fact]
    public void NoEndpointsMeansNoPick()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0), new EndpointLoad());

        Assert.Null(balancer.Pick(new Cluster("svc", 80, null, [], new LoadBalancerSettings()), new DefaultHttpContext(), []));
    }

    [Theory]
    [InlineData("header")]
    [InlineData("query")]
    [InlineData("cookie")]
    public void AConsistentHashSendsTheSameKeyToTheSameEndpointAndSpreadsKeys(string source)
    {
        var hash = source switch
        {
            "header" => new ConsistentHash { HttpHeaderName = "x-user" },
            "query" => new ConsistentHash { HttpQueryParameterName = "user" },
            _ => new ConsistentHash { HttpCookie = new HttpCookie("user") },
        };
        var balancer = new LoadBalancer(new ScriptedRandom(0), new EndpointLoad());
        var cluster = ClusterWith(new LoadBalancerSettings { ConsistentHash = hash });

        var byUser = Enumerable.Range(0, 40).ToDictionary(user => user, user => Pick(balancer, cluster, RequestFor(source, $"user-{user}")));

        foreach (var (user, endpoint) in byUser)
        {
            Assert.Equal(endpoint, Pick(balancer, cluster, RequestFor(source, $"user-{user}")));
        }

        Assert.Equal(3, byUser.Values.Distinct().Count());
    }

    [Fact]
    public void WithAnEndpointEjectedAConsistentHashUsesARingOfTheRestAndKeepsMostKeysWhereTheyWere()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0), new EndpointLoad());
        var cluster = ClusterWith(new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpHeaderName = "x-user" } });
        IReadOnlyList<UpstreamEndpoint> withoutB = [Endpoints[0], Endpoints[2]];
        string PickFor(int user, IReadOnlyList<UpstreamEndpoint>? available)
        {
            var context = new DefaultHttpContext();
            context.Request.Headers["x-user"] = $"user-{user}";
            return balancer.Pick(cluster, context, [], available)!.Workload;
        }

        var (stayed, elsewhere) = (0, 0);
        for (var user = 0; user < 100; user++)
        {
            var before = PickFor(user, null);
            var after = PickFor(user, withoutB);
            Assert.NotEqual("b", after);
            Assert.Equal(after, PickFor(user, withoutB)); // the same ring each time
            if (before != "b")
            {
                (stayed, elsewhere) = before == after ? (stayed + 1, elsewhere) : (stayed, elsewhere + 1);
            }
        }

        // The survivors' points stay on the ring and gain some (Envoy's ring grows each host's share), so few keys move.
        Assert.True(stayed > 3 * elsewhere, $"{stayed} keys stayed, {elsewhere} moved between the endpoints that were not ejected.");
    }

    [Fact]
    public void AConsistentHashWithoutItsKeyPicksAtRandom()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0.7), new EndpointLoad());
        var cluster = ClusterWith(new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpHeaderName = "x-user" } });

        Assert.Equal("c", Pick(balancer, cluster));
    }

    [Fact]
    public void AMissingHashCookieWithATtlIsGeneratedAndSetOnTheResponse()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0.25, 0.75), new EndpointLoad());
        var cluster = ClusterWith(new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpCookie = new HttpCookie("sticky", "/", TimeSpan.FromMinutes(5)) } });
        var context = new DefaultHttpContext();
        var responseFeature = new StartableResponseFeature();
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>(responseFeature);

        var first = Pick(balancer, cluster, context);
        responseFeature.Start();

        var setCookie = context.Response.Headers.SetCookie.ToString();
        Assert.StartsWith("sticky=", setCookie);
        var value = setCookie["sticky=".Length..setCookie.IndexOf(';')];
        Assert.Equal(first, Pick(balancer, cluster, RequestFor("cookie-sticky", value)));
    }

    [Fact]
    public void UseSourceIpSendsOneCallerToOneEndpoint()
    {
        var balancer = new LoadBalancer(new ScriptedRandom(0), new EndpointLoad());
        var cluster = ClusterWith(new LoadBalancerSettings { ConsistentHash = new ConsistentHash { UseSourceIp = true } });
        HttpContext From(string ip) => new DefaultHttpContext { Connection = { RemoteIpAddress = System.Net.IPAddress.Parse(ip) } };

        var picks = Enumerable.Range(0, 5).Select(_ => Pick(balancer, cluster, From("10.0.0.7"))).Distinct();

        Assert.Single(picks);
    }

    private static DefaultHttpContext RequestFor(string source, string user)
    {
        var context = new DefaultHttpContext();
        switch (source)
        {
            case "header":
                context.Request.Headers["x-user"] = user;
                break;
            case "query":
                context.Request.QueryString = new QueryString($"?user={user}");
                break;
            case "cookie":
                context.Request.Headers.Cookie = $"user={user}";
                break;
            default:
                context.Request.Headers.Cookie = $"{source["cookie-".Length..]}={user}";
                break;
        }

        return context;
    }

    /// <summary>A response feature that runs OnStarting callbacks when the test says so.</summary>
    private sealed class StartableResponseFeature : Microsoft.AspNetCore.Http.Features.HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _starting = [];

        public override void OnStarting(Func<object, Task> callback, object state) => _starting.Add((callback, state));

        public void Start()
        {
            foreach (var (callback, state) in _starting)
            {
                callback(state).GetAwaiter().GetResult();
            }
        }
    }
}
