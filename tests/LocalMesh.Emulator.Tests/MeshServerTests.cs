using System.Diagnostics;
using System.Net;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Tests;

/// <summary>The data plane on real loopback sockets, with real applications behind it.</summary>
public sealed class MeshServerTests : IAsyncLifetime
{
    private readonly List<TestBackend> _backends = [];
    private readonly SpanCollector _spans = new();
    private MeshServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        // Round robin, so each test knows which replica answers next.
        _server = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend() with { DefaultLoadBalancer = SimpleLoadBalancer.RoundRobin });
        foreach (var (workload, replica) in new[] { ("caller", 0), ("backend-v1", 0), ("backend-v1", 1), ("backend-v2", 0) })
        {
            var backend = await TestBackend.StartAsync($"{workload}/{replica}");
            _backends.Add(backend);
            _server.State.SetApplication(workload, replica, backend.Address);
        }

        _client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    }

    private Uri Outbound => _server.Addresses["outbound|caller|backend"];

    [Fact]
    public async Task WithNoDestinationRuleTheLoadBalancerIsIstiosLeastRequestAndADestinationRulesOwnWins()
    {
        var config = MeshFixtures.CallerAndBackend();
        await using var server = await MeshServer.StartAsync(config);

        Assert.Equal(SimpleLoadBalancer.LeastRequest, config.DefaultLoadBalancer);
        Assert.Equal(SimpleLoadBalancer.LeastRequest, server.State.Snapshot.Clusters["backend"].LoadBalancer.Simple);

        // A DestinationRule naming no load balancer (an empty loadBalancer too) keeps the default; one that names it wins.
        server.State.SetConfig(config with
        {
            Services = [config.Services[0], config.Services[1] with
            {
                DestinationRule = new DestinationRule
                {
                    TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings() },
                    Subsets = [new Subset("v2", new Dictionary<string, string> { ["version"] = "v2" }) { TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.Random } } }],
                },
            }],
        });
        Assert.Equal(SimpleLoadBalancer.LeastRequest, server.State.Snapshot.Clusters["backend"].LoadBalancer.Simple);
        Assert.Equal(SimpleLoadBalancer.Random, server.State.Snapshot.Clusters["backend/v2"].LoadBalancer.Simple);
    }

    [Fact]
    public async Task OutboundSpreadsRequestsRoundRobinOverEveryReplicaOfEveryWorkload()
    {
        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await _client.GetStringAsync(Outbound));
        }

        Assert.Equal(["backend-v1/0", "backend-v1/1", "backend-v2/0", "backend-v1/0", "backend-v1/1", "backend-v2/0"], answers);
    }

    [Fact]
    public async Task EachHopIsASpanChildOfThePreviousAndTheApplicationSeesTheInboundSpanAsParent()
    {
        var requestId = Guid.NewGuid().ToString();
        var callerTrace = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, Outbound);
        request.Headers.Add("x-request-id", requestId);
        request.Headers.Add("traceparent", $"00-{callerTrace}-{callerSpan}-01");

        using var response = await _client.SendAsync(request);
        var spans = await _spans.ForRequestAsync(requestId, 2);

        var outbound = Assert.Single(spans, span => span.Kind == ActivityKind.Client);
        var inbound = Assert.Single(spans, span => span.Kind == ActivityKind.Server);
        Assert.Equal(callerTrace, outbound.TraceId);
        Assert.Equal(callerSpan, outbound.ParentSpanId);
        Assert.Equal(outbound.SpanId, inbound.ParentSpanId);
        Assert.Equal($"00-{callerTrace}-{inbound.SpanId}-01", response.Headers.GetValues("x-echo-traceparent").Single());
        Assert.Equal(requestId, response.Headers.GetValues("x-echo-x-request-id").Single());
    }

    [Fact]
    public async Task ARequestWithoutTraceContextStartsATraceAtTheMeshEvenWhenTheHostingLayerTraces()
    {
        // Something in the process listens to ASP.NET Core, so Kestrel creates a request activity.
        using var hosting = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
        };
        ActivitySource.AddActivityListener(hosting);
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, Outbound);
        request.Headers.Add("x-request-id", requestId);

        await _client.SendAsync(request);

        var outbound = Assert.Single(await _spans.ForRequestAsync(requestId, 2), span => span.Kind == ActivityKind.Client);
        Assert.Equal(default, outbound.ParentSpanId);
    }

    [Fact]
    public async Task TheInboundSidecarKnowsTheCallerFromTheConnectionNotFromAHeader()
    {
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, Outbound);
        request.Headers.Add("x-request-id", requestId);
        await _client.SendAsync(request);

        var inbound = Assert.Single(await _spans.ForRequestAsync(requestId, 2), span => span.Kind == ActivityKind.Server);
        Assert.Equal("caller", inbound.GetTagItem(MeshTelemetry.Attributes.SourceWorkload));
        Assert.Equal("destination", inbound.GetTagItem(MeshTelemetry.Attributes.Reporter));
    }

    [Fact]
    public async Task ACallStraightToAnInboundSidecarHasAnUnknownSource()
    {
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, _server.Addresses["inbound|backend-v2|0"]);
        request.Headers.Add("x-request-id", requestId);

        Assert.Equal("backend-v2/0", await (await _client.SendAsync(request)).Content.ReadAsStringAsync());
        var inbound = Assert.Single(await _spans.ForRequestAsync(requestId, 1));
        Assert.Equal(MeshTelemetry.Unknown, inbound.GetTagItem(MeshTelemetry.Attributes.SourceWorkload));
    }

    [Fact]
    public async Task TheIngressGatewayDropsEnvoyControlHeadersFromOutside()
    {
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, _server.Addresses["ingress|gateway"]);
        request.Headers.Add("x-request-id", requestId);
        request.Headers.Add("x-envoy-upstream-rq-timeout-ms", "1");
        request.Headers.Add("x-envoy-attempt-count", "99");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = _backends.SelectMany(b => b.Received).Single(r => r.Headers.GetValueOrDefault("x-request-id") == requestId);
        Assert.Equal("1", received.Headers["x-envoy-attempt-count"]);
        Assert.False(received.Headers.ContainsKey("x-envoy-upstream-rq-timeout-ms"));
    }

    [Fact]
    public async Task OnceAGatewaySelectsTheIngressItServesOnlyWhatItsVirtualServicesRouteForTheRequestsHost()
    {
        var ingress = _server.Addresses["ingress|gateway"];
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(new Uri(ingress, "/anything"))).StatusCode);

        var config = MeshFixtures.CallerAndBackend();
        _server.State.SetConfig(config with
        {
            Services = [config.Services[0], config.Services[1] with { DestinationRule = new DestinationRule
            {
                Subsets = [new Subset("v1", new Dictionary<string, string> { ["version"] = "v1" }), new Subset("v2", new Dictionary<string, string> { ["version"] = "v2" })],
            } }],
            Gateways = [new GatewayConfig("shop-gateway")
            {
                Selector = new Dictionary<string, string> { ["istio"] = "ingressgateway" },
                Servers = [new GatewayServer(80, "HTTP", ["*"])],
            }],
            GatewayVirtualServices =
            [
                new VirtualService("shop")
                {
                    Hosts = ["*"],
                    Gateways = ["default/shop-gateway"],
                    Http = [new HttpRoute { Match = [new HttpMatchRequest { Uri = StringMatch.Exact("/productpage") }], Route = [new HttpRouteDestination(new Destination("backend", "v2"))] }],
                },
                new VirtualService("admin")
                {
                    Hosts = ["admin.example.com"],
                    Gateways = ["default/shop-gateway"],
                    Http = [new HttpRoute { Route = [new HttpRouteDestination(new Destination("backend", "v1"))] }],
                },
            ],
        });

        Assert.Equal("backend-v2/0", await _client.GetStringAsync(new Uri(ingress, "/productpage")));
        using var other = await _client.GetAsync(new Uri(ingress, "/anything"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        // The exact host's virtual host wins over "*": any path, and no longer only /productpage.
        using var admin = new HttpRequestMessage(HttpMethod.Get, new Uri(ingress, "/anything")) { Headers = { Host = "admin.example.com" } };
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(admin)).StatusCode);
        using var adminPage = new HttpRequestMessage(HttpMethod.Get, new Uri(ingress, "/productpage")) { Headers = { Host = "ADMIN.example.com:8080" } };
        Assert.StartsWith("backend-v1/", await (await _client.SendAsync(adminPage)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AGatewayThatSelectsAnotherGatewaysPodsLeavesTheIngressAsItWas()
    {
        var config = MeshFixtures.CallerAndBackend();
        _server.State.SetConfig(config with
        {
            Gateways = [new GatewayConfig("east-west")
            {
                Selector = new Dictionary<string, string> { ["istio"] = "eastwestgateway" },
                Servers = [new GatewayServer(80, "HTTP", ["*"])],
            }],
            GatewayVirtualServices = [new VirtualService("nothing") { Hosts = ["*"], Gateways = ["default/east-west"], Http = [] }],
        });

        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(new Uri(_server.Addresses["ingress|gateway"], "/anything"))).StatusCode);
    }

    [Fact]
    public async Task ARequestWithoutARequestIdGetsOne()
    {
        using var response = await _client.GetAsync(Outbound);

        Assert.True(Guid.TryParse(response.Headers.GetValues("x-echo-x-request-id").Single(), out _));
    }

    [Fact]
    public async Task TheServiceListenerServesCallersOutsideTheMeshAsUnknown()
    {
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, _server.Addresses["service|backend"]);
        request.Headers.Add("x-request-id", requestId);

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outbound = Assert.Single(await _spans.ForRequestAsync(requestId, 2), span => span.Kind == ActivityKind.Client);
        Assert.Equal(MeshTelemetry.Unknown, outbound.GetTagItem(MeshTelemetry.Attributes.SourceWorkload));
    }

    [Fact]
    public async Task WithNoReadyEndpointTheAnswerIs503NoHealthyUpstream()
    {
        foreach (var (workload, replica) in new[] { ("caller", 0), ("backend-v1", 0), ("backend-v1", 1), ("backend-v2", 0) })
        {
            _server.State.SetApplication(workload, replica, null);
        }

        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, Outbound);
        request.Headers.Add("x-request-id", requestId);
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no healthy upstream", await response.Content.ReadAsStringAsync());
        var span = Assert.Single(await _spans.ForRequestAsync(requestId, 1));
        Assert.Equal("UH", span.GetTagItem(MeshTelemetry.Attributes.ResponseFlags));
    }

    [Fact]
    public async Task UntilEveryWorkloadWasReadyOnceTheIngressSays503WithWhatItWaitsForThenServesForGood()
    {
        await using var server = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend());
        await using var backend = await TestBackend.StartAsync("backend");
        server.State.SetApplication("backend-v1", 0, backend.Address);
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Addresses["ingress|gateway"]) { Headers = { { "x-request-id", requestId } } };

        using var starting = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, starting.StatusCode);
        Assert.Equal("starting: waiting for caller, backend-v1 (1/2 ready), backend-v2", await starting.Content.ReadAsStringAsync());
        Assert.Equal("UH", Assert.Single(await _spans.ForRequestAsync(requestId, 1)).GetTagItem(MeshTelemetry.Attributes.ResponseFlags));
        Assert.False(server.State.Snapshot.Started);

        foreach (var (workload, replica) in new[] { ("caller", 0), ("backend-v1", 1), ("backend-v2", 0) })
        {
            server.State.SetApplication(workload, replica, backend.Address);
        }

        Assert.True(server.State.Snapshot.Started);
        Assert.Empty(server.State.Snapshot.Waiting);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(server.Addresses["ingress|gateway"])).StatusCode);

        // A replica that goes away later is a failure for the routes to handle, not a start-up again.
        server.State.SetApplication("caller", 0, null);
        Assert.True(server.State.Snapshot.Started);
        Assert.Equal(["caller"], server.State.Snapshot.Waiting.ToArray());
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(server.Addresses["ingress|gateway"])).StatusCode);
    }

    [Fact]
    public async Task ClientsThatHangUpBeforeTheirFirstByteAreNotErrors()
    {
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(logs));
        await using var server = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend(), new MeshServerOptions { LoggerFactory = loggerFactory });
        await using var backend = await TestBackend.StartAsync("backend-v2/0");
        server.State.SetApplication("backend-v2", 0, backend.Address);

        foreach (var listener in new[] { "inbound|backend-v2|0", "ingress|gateway", "outbound|caller|backend" })
        {
            // Closed, reset, and gone after the first bytes of a TLS record.
            foreach (var (reset, bytes) in new[] { (false, 0), (true, 0), (false, 2), (true, 2) })
            {
                using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, server.Addresses[listener].Port);
                await socket.SendAsync(new byte[] { 0x16, 0x03 }.AsMemory(0, bytes));
                if (reset)
                {
                    socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
                }

                socket.Close();
            }
        }

        // Every one of those connections has ended its way through the listener's chain, so whatever
        // it had to say is said; the same listener still serves, and nothing it logged is an error.
        string[] listeners = ["inbound|backend-v2|0", "ingress|gateway", "outbound|caller|backend"];
        await Eventually.TrueAsync(() => listeners.All(listener => server.TotalConnections(listener) == 4 && server.OpenConnections(listener) == 0),
            TimeSpan.FromSeconds(5), "each listener took its four hung-up connections and ended them");
        Assert.Equal("backend-v2/0", await _client.GetStringAsync(server.Addresses["inbound|backend-v2|0"]));
        Assert.Empty(logs.Entries.Where(entry => entry.Level >= LogLevel.Warning).Select(entry => $"{entry.Category}: {entry.Message} {entry.Exception}"));
    }

    [Fact]
    public async Task AnEndpointThatBecomesReadyTakesTrafficOnTheNextRequest()
    {
        _server.State.SetApplication("backend-v1", 0, null);
        _server.State.SetApplication("backend-v1", 1, null);
        Assert.Equal("backend-v2/0", await _client.GetStringAsync(Outbound));
        Assert.Equal("backend-v2/0", await _client.GetStringAsync(Outbound));

        _server.State.SetApplication("backend-v1", 1, _backends.Single(b => b.Name == "backend-v1/1").Address);

        var answers = new[] { await _client.GetStringAsync(Outbound), await _client.GetStringAsync(Outbound) };
        Assert.Contains("backend-v1/1", answers);
    }

    [Fact]
    public async Task AnApplicationThatRefusesConnectionsGives503UpstreamConnectFailure()
    {
        var closed = await TestBackend.StartAsync("gone");
        var address = closed.Address;
        await closed.DisposeAsync();
        _server.State.SetApplication("backend-v2", 0, address);

        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, _server.Addresses["inbound|backend-v2|0"]);
        request.Headers.Add("x-request-id", requestId);
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.StartsWith("upstream connect error", await response.Content.ReadAsStringAsync());
        Assert.Equal("UF", Assert.Single(await _spans.ForRequestAsync(requestId, 1)).GetTagItem(MeshTelemetry.Attributes.ResponseFlags));
    }

    [Fact]
    public void EveryListenerIsBoundOnLoopbackToAPortOfItsOwn()
    {
        Assert.Equal(MeshFixtures.CallerAndBackend().Listeners.Length, _server.Addresses.Count);
        Assert.All(_server.Addresses.Values, address => Assert.Equal(IPAddress.Loopback.ToString(), address.Host));
        Assert.Equal(_server.Addresses.Count, _server.Addresses.Values.Select(address => address.Port).Distinct().Count());
    }

    [Fact]
    public async Task StoppingClosesEveryListener()
    {
        var addresses = _server.Addresses.Values.ToList();

        await _server.StopAsync();

        foreach (var address in addresses)
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => socket.ConnectAsync(IPAddress.Loopback, address.Port));
        }
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _spans.Dispose();
        await _server.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }
}
