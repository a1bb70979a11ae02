using System.Collections.Immutable;
using Grpc.Core;
using Grpc.Net.Client;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Tests.Grpc;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// gRPC through both sidecars with a real Grpc.AspNetCore server and Grpc.Net.Client: the caller
/// speaks HTTP/2 with prior knowledge to its outbound sidecar, the sidecars HTTP/2 to each other
/// (over mutual TLS with ALPN h2, or plaintext), the inbound sidecar HTTP/2 to the application.
/// <c>frontend</c> calls <c>echo</c>, served by <c>echo-v1</c> (two replicas) and <c>echo-v2</c>.
/// </summary>
public sealed class GrpcTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(MutualTlsMode.Permissive)]
    [InlineData(MutualTlsMode.Strict)]
    [InlineData(MutualTlsMode.Disable)]
    public async Task EachCallOfOneChannelIsBalancedOverEveryReplica(MutualTlsMode mode)
    {
        await using var mesh = await GrpcMesh.StartAsync(mode: mode);
        var client = mesh.Client();

        var servedBy = new HashSet<string>();
        for (var i = 0; i < 9; i++)
        {
            var reply = await client.UnaryAsync(new EchoRequest { Text = $"call {i}" }).ResponseAsync.WaitAsync(Cap);
            Assert.Equal($"call {i}", reply.Text);
            servedBy.Add(reply.ServedBy);
        }

        // One HTTP/2 connection from the caller, yet every replica served: the sidecar balances each call.
        Assert.Equal(["echo-v1/0", "echo-v1/1", "echo-v2/0"], servedBy.Order());
    }

    [Fact]
    public async Task StreamsFlowBothWaysWithoutWaitingForTheirEnd()
    {
        await using var mesh = await GrpcMesh.StartAsync(mode: MutualTlsMode.Strict);
        var client = mesh.Client();

        using var countdown = client.Countdown(new EchoRequest { Count = 5 });
        var counted = await countdown.ResponseStream.ReadAllAsync().Select(reply => reply.Text).ToListAsync().AsTask().WaitAsync(Cap);
        Assert.Equal(["5", "4", "3", "2", "1"], counted);
        Assert.Equal(StatusCode.OK, countdown.GetStatus().StatusCode);

        using var collect = client.Collect();
        foreach (var text in new[] { "a", "b", "c" })
        {
            await collect.RequestStream.WriteAsync(new EchoRequest { Text = text }).WaitAsync(Cap);
        }

        await collect.RequestStream.CompleteAsync().WaitAsync(Cap);
        Assert.Equal("a,b,c", (await collect.ResponseAsync.WaitAsync(Cap)).Text);

        // Ping-pong: each answer must arrive before the next message is sent, so nothing on the way may hold the stream back.
        using var chat = client.Chat();
        foreach (var text in new[] { "ping", "pong", "done" })
        {
            await chat.RequestStream.WriteAsync(new EchoRequest { Text = text }).WaitAsync(Cap);
            Assert.True(await chat.ResponseStream.MoveNext().WaitAsync(Cap));
            Assert.Equal(text.ToUpperInvariant(), chat.ResponseStream.Current.Text);
        }

        await chat.RequestStream.CompleteAsync().WaitAsync(Cap);
        Assert.False(await chat.ResponseStream.MoveNext().WaitAsync(Cap));
        Assert.Equal(StatusCode.OK, chat.GetStatus().StatusCode);
    }

    [Fact]
    public async Task TheApplicationsStatusAndMessageReachTheCallerInTheTrailersAndTheMetrics()
    {
        await using var mesh = await GrpcMesh.StartAsync(mode: MutualTlsMode.Strict, metrics: true);
        foreach (var backend in mesh.Backends.Values)
        {
            backend.Behaviour.FailWith = StatusCode.NotFound;
            backend.Behaviour.Failures = 1;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Client().UnaryAsync(new EchoRequest { Text = "x" }).ResponseAsync.WaitAsync(Cap));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.EndsWith("fails on purpose", error.Status.Detail, StringComparison.Ordinal);
        // NOT_FOUND is none of the default retry conditions: one call only.
        Assert.Equal(1, mesh.Backends.Values.Sum(backend => backend.Behaviour.Calls));

        // Both sidecars count the call as Istio does: a gRPC request, answered 200 with gRPC status 5 in the trailers.
        using var client = new HttpClient { Timeout = Cap };
        foreach (var reporter in new[] { "source", "destination" })
        {
            var series = new System.Text.RegularExpressions.Regex(
                $@"^istio_requests_total\{{[^}}]*destination_service_name=""echo""[^}}]*grpc_response_status=""5""[^}}]*reporter=""{reporter}""[^}}]*request_protocol=""grpc""[^}}]*response_code=""200""[^}}]*\}} \d+$",
                System.Text.RegularExpressions.RegexOptions.Multiline);
            await Eventually.TrueAsync(() => series.IsMatch(client.GetStringAsync(mesh.Server.MetricsAddress).GetAwaiter().GetResult()), Cap);
        }
    }

    [Fact]
    public async Task AnUnavailableCallIsRetriedByIstiosDefaultPolicy()
    {
        await using var mesh = await GrpcMesh.StartAsync(mode: MutualTlsMode.Strict, routes:
        [
            new HttpRoute { Route = [new HttpRouteDestination(new Destination("echo", "v2"))] },
        ]);
        var backend = mesh.Backends["echo-v2/0"].Behaviour;
        backend.Failures = 1;

        var reply = await mesh.Client().UnaryAsync(new EchoRequest { Text = "again" }).ResponseAsync.WaitAsync(Cap);

        // The first try's UNAVAILABLE (a trailers-only response) was retried, and the second answered.
        Assert.Equal("again", reply.Text);
        Assert.Equal(2, backend.Calls);
    }

    [Fact]
    public async Task AFaultAbortWithAGrpcStatusIsATrailersOnlyResponse()
    {
        await using var mesh = await GrpcMesh.StartAsync(routes:
        [
            new HttpRoute
            {
                Fault = new HttpFaultInjection { Abort = new FaultAbort(0, 100) { GrpcStatus = "RESOURCE_EXHAUSTED" } },
                Route = [new HttpRouteDestination(new Destination("echo"))],
            },
        ]);

        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Client().UnaryAsync(new EchoRequest()).ResponseAsync.WaitAsync(Cap));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("fault filter abort", error.Status.Detail);
        Assert.Equal(0, mesh.Backends.Values.Sum(backend => backend.Behaviour.Calls));
    }

    [Fact]
    public async Task RoutesMatchTheMethodPathAndMetadata()
    {
        await using var mesh = await GrpcMesh.StartAsync(routes:
        [
            new HttpRoute
            {
                Match = [new HttpMatchRequest
                {
                    Uri = new StringMatch(StringMatchKind.Exact, "/echo.Echo/Unary"),
                    Headers = new Dictionary<string, StringMatch> { ["x-tier"] = new(StringMatchKind.Exact, "gold") },
                }],
                Route = [new HttpRouteDestination(new Destination("echo", "v2"))],
            },
            new HttpRoute { Match = [new HttpMatchRequest { Uri = new StringMatch(StringMatchKind.Prefix, "/echo.Echo/") }], Route = [new HttpRouteDestination(new Destination("echo", "v1"))] },
        ]);
        var client = mesh.Client();

        var gold = await client.UnaryAsync(new EchoRequest(), new Metadata { { "x-tier", "gold" } }).ResponseAsync.WaitAsync(Cap);
        var plain = await client.UnaryAsync(new EchoRequest()).ResponseAsync.WaitAsync(Cap);

        Assert.Equal("echo-v2/0", gold.ServedBy);
        Assert.StartsWith("echo-v1/", plain.ServedBy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalRepliesAreGrpcStatusesAsEnvoyMapsThem()
    {
        await using var mesh = await GrpcMesh.StartAsync(routes:
        [
            new HttpRoute
            {
                Match = [new HttpMatchRequest { Uri = new StringMatch(StringMatchKind.Exact, "/echo.Echo/Unary") }],
                Route = [new HttpRouteDestination(new Destination("echo"))],
                Timeout = TimeSpan.FromMilliseconds(300),
            },
        ]);
        var client = mesh.Client();

        // No route (404 NR) is UNIMPLEMENTED.
        using var unrouted = client.Countdown(new EchoRequest { Count = 1 });
        var noRoute = await Assert.ThrowsAsync<RpcException>(() => unrouted.ResponseStream.MoveNext().WaitAsync(Cap));
        Assert.Equal(StatusCode.Unimplemented, noRoute.StatusCode);

        // The route's timeout (504 UT) is UNAVAILABLE, with Envoy's text.
        var timeout = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(new EchoRequest { Text = "slow" }).ResponseAsync.WaitAsync(Cap));
        Assert.Equal(StatusCode.Unavailable, timeout.StatusCode);
        Assert.Equal("upstream request timeout", timeout.Status.Detail);
    }

    [Fact]
    public async Task AGrpcCallToAServicePortThatSpeaksHttp1IsToldWhy()
    {
        await using var mesh = await GrpcMesh.StartAsync(protocol: ServiceProtocol.Http);

        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Client().UnaryAsync(new EchoRequest()).ResponseAsync.WaitAsync(Cap));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("echo's port speaks HTTP/1.1", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, mesh.Backends.Values.Sum(backend => backend.Behaviour.Calls));
    }

    [Fact]
    public async Task ACallerThatCancelsAStreamCancelsItAtTheApplication()
    {
        await using var mesh = await GrpcMesh.StartAsync(mode: MutualTlsMode.Strict, routes:
        [
            new HttpRoute { Route = [new HttpRouteDestination(new Destination("echo", "v2"))] },
        ]);
        using var cancel = new CancellationTokenSource();
        using var stream = mesh.Client().Countdown(new EchoRequest { Text = "slowly", Count = 1000 }, cancellationToken: cancel.Token);

        Assert.True(await stream.ResponseStream.MoveNext().WaitAsync(Cap));
        await cancel.CancelAsync();

        // The caller's RST_STREAM went through both sidecars as one.
        await mesh.Backends["echo-v2/0"].Behaviour.Cancelled.Task.WaitAsync(Cap);
    }

    [Fact]
    public async Task Http2MaxRequestsLimitsTheCallsInFlight()
    {
        var limited = MeshFixtures.RoundRobinV1V2 with
        {
            TrafficPolicy = MeshFixtures.RoundRobinV1V2.TrafficPolicy! with { ConnectionPool = new ConnectionPoolSettings { Http = new HttpSettings { Http2MaxRequests = 1 } } },
        };
        await using var mesh = await GrpcMesh.StartAsync(rule: limited, routes:
        [
            new HttpRoute { Route = [new HttpRouteDestination(new Destination("echo", "v2"))] },
        ]);
        var client = mesh.Client();
        using var first = client.Countdown(new EchoRequest { Text = "slowly", Count = 1000 });
        Assert.True(await first.ResponseStream.MoveNext().WaitAsync(Cap));

        // The one call in flight holds the only place: the next one overflows (503 UO), UNAVAILABLE to a gRPC caller.
        var overflow = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(new EchoRequest()).ResponseAsync.WaitAsync(Cap));
        Assert.Equal(StatusCode.Unavailable, overflow.StatusCode);
        Assert.Contains("overflow", overflow.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>The gRPC mesh: its server, the applications by replica name, and a channel to frontend's outbound sidecar.</summary>
    private sealed class GrpcMesh : IAsyncDisposable
    {
        private readonly List<GrpcChannel> _channels = [];

        private GrpcMesh(MeshServer server, Dictionary<string, GrpcBackend> backends)
        {
            Server = server;
            Backends = backends;
        }

        public MeshServer Server { get; }

        public IReadOnlyDictionary<string, GrpcBackend> Backends { get; }

        public static async Task<GrpcMesh> StartAsync(
            MutualTlsMode mode = MutualTlsMode.Permissive, IEnumerable<HttpRoute>? routes = null, DestinationRule? rule = null, ServiceProtocol protocol = ServiceProtocol.Grpc, bool metrics = false)
        {
            var config = MeshFixtures.CallerAndEcho("frontend", new MeshServiceConfig("echo") { Protocol = protocol, Http = [.. routes ?? []], DestinationRule = rule }, mode);
            var server = await MeshServer.StartAsync(config, new MeshServerOptions { MetricsPort = metrics ? 0 : null });
            var backends = new Dictionary<string, GrpcBackend>();
            foreach (var (workload, replica) in MeshFixtures.EchoReplicas)
            {
                var backend = await GrpcBackend.StartAsync($"{workload}/{replica}");
                backends[$"{workload}/{replica}"] = backend;
                server.State.SetApplication(workload, replica, backend.Address);
            }

            return new GrpcMesh(server, backends);
        }

        /// <summary>A client on one channel to frontend's outbound sidecar for echo, as the application would make it.</summary>
        public Echo.EchoClient Client()
        {
            var channel = GrpcChannel.ForAddress(Server.Addresses["outbound|frontend|echo"]);
            _channels.Add(channel);
            return new Echo.EchoClient(channel);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }

            await Server.DisposeAsync();
            foreach (var backend in Backends.Values)
            {
                await backend.DisposeAsync();
            }
        }
    }
}
