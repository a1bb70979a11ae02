using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Explain;

namespace LocalMesh.Emulator.Tests;

/// <summary>A request explained without sending it: the route that matches and why the others do not, the destinations, the policies.</summary>
public sealed class RequestExplainerTests
{
    private static readonly MeshConfig Bookinfo = new()
    {
        Services =
        [
            new MeshServiceConfig("productpage") { Port = 9080 },
            new MeshServiceConfig("loadclient"),
            new MeshServiceConfig("reviews")
            {
                Port = 9080,
                DestinationRule = new DestinationRule
                {
                    Subsets = [.. new[] { "v1", "v2", "v3" }.Select(version => new Subset(version, new Dictionary<string, string> { ["version"] = version }))],
                },
                Http =
                [
                    new HttpRoute
                    {
                        Name = "jason",
                        Match = [new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") } }],
                        Route = [new HttpRouteDestination(new Destination("reviews", "v2"))],
                        Fault = new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromSeconds(7), 100) },
                    },
                    new HttpRoute
                    {
                        Name = "everyone-else",
                        Route = [new HttpRouteDestination(new Destination("reviews", "v1"), 80), new HttpRouteDestination(new Destination("reviews", "v3"), 20)],
                        Timeout = TimeSpan.FromSeconds(2),
                    },
                ],
            },
        ],
        Workloads =
        [
            MeshFixtures.Workload("productpage-v1", "productpage") with { ServiceAccount = "bookinfo-productpage" },
            MeshFixtures.Workload("loadclient-v1", "loadclient"),
            MeshFixtures.Workload("reviews-v1", "reviews", "v1", replicas: 2) with { ServiceAccount = "bookinfo-reviews" },
            MeshFixtures.Workload("reviews-v2", "reviews", "v2") with { ServiceAccount = "bookinfo-reviews" },
            MeshFixtures.Workload("reviews-v3", "reviews", "v3") with { ServiceAccount = "bookinfo-reviews" },
        ],
        PeerAuthentications = [new PeerAuthentication("default", MutualTlsMode.Strict)],
        AuthorizationPolicies =
        [
            new AuthorizationPolicy("reviews-callers", AuthorizationAction.Allow)
            {
                Selector = new Dictionary<string, string> { ["app"] = "reviews" },
                Rules = [new AuthorizationRule { From = [new AuthorizationSource { Principals = ["cluster.local/ns/default/sa/bookinfo-productpage"] }] }],
            },
        ],
    };

    private static RequestExplanation Explain(string? caller, IReadOnlyDictionary<string, string>? headers = null) =>
        RequestExplainer.Explain(Bookinfo, new ExplainRequest(caller, "reviews.default.svc.cluster.local:9080", "/reviews/0") { Headers = headers ?? ImmutableDictionary<string, string>.Empty },
            (rules, field) => rules == "reviews" ? $"reviews.yaml, {field}" : null);

    [Fact]
    public void JasonMatchesTheFirstRouteAndMeetsItsDelayWithoutTimeoutOrRetries()
    {
        var explanation = Explain("productpage-v1", new Dictionary<string, string> { ["End-User"] = "jason" });

        Assert.Equal("http[0] 'jason'", explanation.Route);
        Assert.Equal(new Dictionary<string, double> { ["reviews/v2"] = 100 }, explanation.Destinations);
        Assert.True(explanation.Allowed);
        var text = explanation.ToString();
        Assert.Contains("http[0] 'jason' (reviews.yaml, http[0]) matches by match[0]: header end-user exact: jason.", text);
        Assert.Contains("delay 7s for 100% of requests (flag DI); a route with a fault gets no timeout and no retries", text);
        Assert.Contains("retries        none.", text);
        Assert.Contains("reviews-v2: STRICT; the sidecars speak mutual TLS", text);
        Assert.Contains("reviews-v2: allowed, by rule 0 of ALLOW policy (mesh)/reviews-callers.", text);
    }

    [Fact]
    public void EveryoneElseIsToldWhyTheFirstRouteDoesNotMatchAndGetsTheSplit()
    {
        var explanation = Explain("productpage-v1", new Dictionary<string, string> { ["end-user"] = "bob" });

        Assert.Equal("http[1] 'everyone-else'", explanation.Route);
        Assert.Equal(new Dictionary<string, double> { ["reviews/v1"] = 80, ["reviews/v3"] = 20 }, explanation.Destinations);
        var text = explanation.ToString();
        Assert.Contains("http[0] 'jason' (reviews.yaml, http[0]) does not match — match[0]: header end-user: 'bob' is not exact: jason.", text);
        Assert.Contains("reviews/v1: 80% (weight 80 of 100); endpoints reviews-v1/0, reviews-v1/1; load balancer LEAST_REQUEST.", text);
        Assert.Contains("2s for the whole request", text);
        Assert.Contains("up to 2 on connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503 (Istio's default).", text);
    }

    [Fact]
    public void ACallerTheAllowPolicyDoesNotNameIsDeniedAndOneWithoutASidecarIsRefusedByStrictMtls()
    {
        var load = Explain("loadclient-v1");
        Assert.False(load.Allowed);
        Assert.Contains("reviews-v1: denied, 403 'RBAC: access denied': no rule of ALLOW policy (mesh)/reviews-callers matches", load.ToString());

        var outside = Explain(null);
        Assert.False(outside.Allowed);
        Assert.Contains("a caller without a sidecar speaks plaintext, which STRICT refuses at the connection.", outside.ToString());
    }

    [Fact]
    public void AShareSentToASubsetNoDestinationRuleDeclaresIsSaidToBeAnswered503NC()
    {
        var reviews = Bookinfo.Services.Single(service => service.Name == "reviews");
        var config = Bookinfo with
        {
            Services = [.. Bookinfo.Services.Select(service => service == reviews
                ? service with { Http = [new HttpRoute { Route = [new HttpRouteDestination(new Destination("reviews", "v1"), 90), new HttpRouteDestination(new Destination("reviews", "v4"), 10)] }] }
                : service)],
        };

        var text = RequestExplainer.Explain(config, new ExplainRequest("productpage-v1", "reviews", "/")).ToString();

        Assert.Contains("reviews/v4: 10% (weight 10 of 100); no DestinationRule of the app declares that subset, so requests sent to it get 503 (NC, cluster not found)", text);
    }

    [Fact]
    public void AnUnknownHostOrCallerIsSaidNotGuessed()
    {
        Assert.Contains("'reveiws' is no service of the mesh", RequestExplainer.Explain(Bookinfo, new ExplainRequest("productpage-v1", "reveiws", "/")).ToString());
        Assert.Contains("'ghost' is no workload or ingress gateway of the mesh", Assert.Throws<ArgumentException>(() => RequestExplainer.Explain(Bookinfo, new ExplainRequest("ghost", "reviews", "/"))).Message);
    }
}
