using System.Net;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using static LocalMesh.Emulator.Tests.MeshHarness;

namespace LocalMesh.Emulator.Tests;

/// <summary>Routes on real sockets: splits, header routing, redirects, rewrites, headers, mirrors, no route.</summary>
public sealed class TrafficRoutingTests
{
    [Fact]
    public async Task An80To20SplitHoldsOver2000Requests()
    {
        await using var mesh = await StartAsync([new HttpRoute { Route = [To("v1", 80), To("v2", 20)] }]);

        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 2000; i++)
        {
            var version = await mesh.Client.GetStringAsync(mesh.Reviews);
            counts[version] = counts.GetValueOrDefault(version) + 1;
        }

        // Binomial(2000, 0.8): standard deviation ≈ 17.9; 5 deviations either side.
        Assert.InRange(counts["reviews-v1"], 1600 - 90, 1600 + 90);
        Assert.Equal(2000 - counts["reviews-v1"], counts.GetValueOrDefault("reviews-v2"));
        Assert.False(counts.ContainsKey("reviews-v3"));
    }

    [Fact]
    public async Task JasonGoesToV2AndEveryoneElseToV1()
    {
        await using var mesh = await StartAsync(
        [
            new HttpRoute
            {
                Match = [new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") } }],
                Route = [To("v2")],
            },
            new HttpRoute { Route = [To("v1")] },
        ]);

        for (var i = 0; i < 5; i++)
        {
            using var jason = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "end-user", "jason" } } };
            Assert.Equal("reviews-v2", await (await mesh.Client.SendAsync(jason)).Content.ReadAsStringAsync());
            using var kim = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "end-user", "kim" } } };
            Assert.Equal("reviews-v1", await (await mesh.Client.SendAsync(kim)).Content.ReadAsStringAsync());
            Assert.Equal("reviews-v1", await mesh.Client.GetStringAsync(mesh.Reviews));
        }
    }

    [Fact]
    public async Task NoMatchingRouteIs404WithFlagNR()
    {
        await using var mesh = await StartAsync([new HttpRoute { Match = [new HttpMatchRequest { Uri = StringMatch.Prefix("/reviews") }], Route = [To("v1")] }]);
        using var spans = new SpanCollector();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(mesh.Reviews, "/ratings")) { Headers = { { "x-request-id", requestId } } };

        using var response = await mesh.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NR", Assert.Single(await spans.ForRequestAsync(requestId, 1)).GetTagItem(MeshTelemetry.Attributes.ResponseFlags));
        Assert.Empty(mesh.AllReceived);
    }

    [Fact]
    public async Task ARouteToAHostTheAppDoesNotHaveIsAnswered503WithFlagNCAndItsShareOfASplitOnly()
    {
        // Another team's service, named by the team's rules but not run locally: istiod accepts the route (IST0101).
        await using var mesh = await StartAsync(
        [
            new HttpRoute { Match = [new HttpMatchRequest { Uri = StringMatch.Prefix("/elsewhere") }], Route = [new HttpRouteDestination(new Destination("billing.payments.svc.cluster.local"))] },
            new HttpRoute { Route = [To("v1", 50), new HttpRouteDestination(new Destination("reviews-canary"), 50)] },
        ]);
        using var spans = new SpanCollector();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(mesh.Reviews, "/elsewhere")) { Headers = { { "x-request-id", requestId } } };

        using var response = await mesh.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
        var span = Assert.Single(await spans.ForRequestAsync(requestId, 1));
        Assert.Equal(("NC", "billing.payments.svc.cluster.local"), (span.GetTagItem(MeshTelemetry.Attributes.ResponseFlags), span.GetTagItem(MeshTelemetry.Attributes.DestinationService)));
        Assert.Empty(mesh.AllReceived);

        // Half of the split goes to a host the app does not have: those requests only are 503.
        var codes = new Dictionary<HttpStatusCode, int>();
        for (var i = 0; i < 400; i++)
        {
            using var split = await mesh.Client.GetAsync(mesh.Reviews);
            codes[split.StatusCode] = codes.GetValueOrDefault(split.StatusCode) + 1;
        }

        // Binomial(400, 0.5): standard deviation 10; 5 deviations either side.
        Assert.InRange(codes.GetValueOrDefault(HttpStatusCode.OK), 150, 250);
        Assert.Equal(400 - codes[HttpStatusCode.OK], codes.GetValueOrDefault(HttpStatusCode.ServiceUnavailable));
        Assert.Equal(codes[HttpStatusCode.OK], mesh.Backends["v1"].Received.Count);
    }

    [Theory]
    [InlineData("v9", null)]
    [InlineData("v1", 9999)]
    public async Task ARouteToASubsetOrPortTheServiceDoesNotHaveIsAnswered503WithFlagNC(string subset, int? port)
    {
        // istiod accepts both (IST0101 for the subset) and Envoy has no cluster outbound|port|subset|reviews.
        await using var mesh = await StartAsync([new HttpRoute { Route = [new HttpRouteDestination(new Destination("reviews", subset, port))] }]);
        using var spans = new SpanCollector();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "x-request-id", requestId } } };

        using var response = await mesh.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("NC", Assert.Single(await spans.ForRequestAsync(requestId, 1)).GetTagItem(MeshTelemetry.Attributes.ResponseFlags));
        Assert.Empty(mesh.AllReceived);
    }

    [Fact]
    public async Task AGatewayApiBackendThatResolvesToNothingIsAnswered500AsTheSpecificationSays()
    {
        await using var mesh = await StartAsync([new HttpRoute { Route = [new HttpRouteDestination(new Destination("reviews-v9")) { Unresolved = true }] }]);

        using var response = await mesh.Client.GetAsync(mesh.Reviews);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(mesh.AllReceived);
    }

    [Fact]
    public async Task ARedirectAnswersWithoutForwarding()
    {
        await using var mesh = await StartAsync([new HttpRoute
        {
            Match = [new HttpMatchRequest { Uri = StringMatch.Exact("/v1/reviews") }],
            Redirect = new HttpRedirect { Uri = "/v2/reviews", Authority = "newreviews" },
        }, new HttpRoute { Route = [To("v1")] }]);

        using var response = await mesh.Client.GetAsync(new Uri(mesh.Reviews, "/v1/reviews?id=1"));

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("http://newreviews/v2/reviews?id=1", response.Headers.Location!.ToString());
        Assert.Empty(mesh.AllReceived);
    }

    [Fact]
    public async Task ARewriteReplacesTheMatchedPrefixAndTheAuthority()
    {
        await using var mesh = await StartAsync([new HttpRoute
        {
            Match = [new HttpMatchRequest { Uri = StringMatch.Prefix("/old") }],
            Rewrite = new HttpRewrite { Uri = "/new", Authority = "reviews.internal" },
            Route = [To("v1")],
        }]);

        await mesh.Client.GetAsync(new Uri(mesh.Reviews, "/old/reviews/7?x=1"));

        var received = Assert.Single(mesh.Backends["v1"].Received);
        Assert.Equal("/new/reviews/7?x=1", received.Path);
        Assert.Equal("reviews.internal", received.Host);
    }

    [Fact]
    public async Task HeadersAreSetAddedAndRemovedOnRequestAndResponse()
    {
        await using var mesh = await StartAsync([new HttpRoute
        {
            Headers = new Headers
            {
                Request = new HeaderOperations
                {
                    Set = new Dictionary<string, string> { ["x-set"] = "route" },
                    Add = new Dictionary<string, string> { ["x-added"] = "route" },
                    Remove = ["x-secret"],
                },
                Response = new HeaderOperations { Set = new Dictionary<string, string> { ["x-served-through"] = "mesh" }, Remove = ["x-backend"] },
            },
            Route = [To("v1") with { Headers = new Headers { Request = new HeaderOperations { Set = new Dictionary<string, string> { ["x-destination"] = "v1" } } } }],
        }]);
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "x-set", "caller" }, { "x-secret", "s3cret" } } };

        using var response = await mesh.Client.SendAsync(request);

        var received = Assert.Single(mesh.Backends["v1"].Received);
        Assert.Equal("route", received.Headers["x-set"]);
        Assert.Equal("route", received.Headers["x-added"]);
        Assert.Equal("v1", received.Headers["x-destination"]);
        Assert.False(received.Headers.ContainsKey("x-secret"));
        Assert.Equal("mesh", response.Headers.GetValues("x-served-through").Single());
        Assert.False(response.Headers.Contains("x-backend"));
    }

    [Theory]
    [InlineData(MutualTlsMode.Permissive)]
    [InlineData(MutualTlsMode.Strict)]
    public async Task AMirrorGetsACopyWithAShadowAuthorityAndItsAnswerIsIgnored(MutualTlsMode mode)
    {
        await using var mesh = await StartAsync(
            [new HttpRoute { Route = [To("v1")], Mirror = new Destination("reviews", "v3") }],
            behaviour: version => version == "v3" ? context => { context.Response.StatusCode = 500; return Task.CompletedTask; } : null,
            mutualTls: mode);

        var answer = await mesh.Client.GetStringAsync(new Uri(mesh.Reviews, "/reviews/1"));

        Assert.Equal("reviews-v1", answer);
        await Eventually.TrueAsync(() => mesh.Backends["v3"].Received.Count > 0, TimeSpan.FromSeconds(5), "the mirror's copy reached v3");
        var copy = Assert.Single(mesh.Backends["v3"].Received);
        Assert.Equal("/reviews/1", copy.Path);
        Assert.EndsWith("-shadow:" + mesh.Reviews.Port, copy.Host);
        // The copy goes as the caller, over mutual TLS (auto mTLS), like the request itself.
        Assert.EndsWith("URI=spiffe://cluster.local/ns/default/sa/productpage", copy.Headers["x-forwarded-client-cert"]);
    }

    [Fact]
    public async Task AConsistentHashOnAHeaderKeepsEachUserOnOneEndpoint()
    {
        await using var mesh = await StartAsync(rule: VersionSubsets with
        {
            TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpHeaderName = "x-user" } } },
        });

        var endpointsByUser = new Dictionary<string, HashSet<string>>();
        for (var round = 0; round < 10; round++)
        {
            for (var user = 0; user < 12; user++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "x-user", $"user-{user}" } } };
                var endpoint = await (await mesh.Client.SendAsync(request)).Content.ReadAsStringAsync();
                (endpointsByUser.TryGetValue($"user-{user}", out var seen) ? seen : endpointsByUser[$"user-{user}"] = []).Add(endpoint);
            }
        }

        Assert.All(endpointsByUser.Values, endpoints => Assert.Single(endpoints));
        Assert.True(endpointsByUser.Values.Select(e => e.Single()).Distinct().Count() > 1, "Twelve users all hashed to one endpoint.");
    }
}
