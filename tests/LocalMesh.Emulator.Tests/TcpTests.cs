using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// TCP through both sidecars on real sockets, with an echo server like Istio's tcp-echo sample:
/// <c>client</c> connects to <c>echo</c> (TCP port 9000), served by <c>echo-v1</c> (two replicas)
/// and <c>echo-v2</c>.
/// </summary>
public sealed class TcpTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Where the mesh's event loops run (Linux), plaintext goes through them and TLS through streams;
    /// the other paths (<c>eventLoops: false</c>) are Kestrel's socket transport and pipes, as on other systems.
    /// </summary>
    [Theory]
    [InlineData(MutualTlsMode.Permissive, true)]
    [InlineData(MutualTlsMode.Strict, true)]
    [InlineData(MutualTlsMode.Disable, true)]
    [InlineData(MutualTlsMode.Strict, false)]
    [InlineData(MutualTlsMode.Disable, false)]
    public async Task BytesFlowBothWaysAndEachConnectionIsBalanced(MutualTlsMode mode, bool eventLoops)
    {
        await using var mesh = await TcpMesh.StartAsync(mode, eventLoops: eventLoops);

        var servedBy = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            using var client = await mesh.ConnectAsync();
            servedBy.Add(await client.AskAsync($"world {i}", expect: $"hello world {i}"));
            await client.AskAsync("again", expect: "hello again");
        }

        Assert.Equal(["echo-v1/0", "echo-v1/1", "echo-v2/0"], servedBy.Order());
    }

    [Theory]
    [InlineData(MutualTlsMode.Strict, true)]
    [InlineData(MutualTlsMode.Disable, true)]
    [InlineData(MutualTlsMode.Strict, false)]
    [InlineData(MutualTlsMode.Disable, false)]
    public async Task TheCallersEndOfSendingReachesTheServerWhichStillAnswers(MutualTlsMode mode, bool eventLoops)
    {
        await using var mesh = await TcpMesh.StartAsync(mode, eventLoops: eventLoops);

        // Many times: the end of sending comes right behind the first bytes, in the same read at the sidecars as often as not.
        for (var i = 0; i < 50; i++)
        {
            using var client = await mesh.ConnectAsync();
            await client.Stream.WriteAsync("world\n"u8.ToArray()).AsTask().WaitAsync(Cap);
            client.Socket.Shutdown(SocketShutdown.Send);

            // The echo server answers the line, sees the end of input and closes: the whole answer arrives, then the end.
            using var reader = new StreamReader(client.Stream);
            var rest = await reader.ReadToEndAsync().WaitAsync(Cap);
            Assert.Matches(@"^echo-v\d/\d hello world\n$", rest);
        }
    }

    [Theory]
    [InlineData(MutualTlsMode.Strict, true)]
    [InlineData(MutualTlsMode.Disable, true)]
    [InlineData(MutualTlsMode.Disable, false)]
    public async Task MegabytesFlowWholeBothWaysWhateverEitherSideCanTakeAtOnce(MutualTlsMode mode, bool eventLoops)
    {
        await using var mesh = await TcpMesh.StartAsync(mode, eventLoops: eventLoops);
        using var client = await mesh.ConnectAsync();
        // More than any socket buffer holds, both ways at once: each side's writes wait for the other's reads.
        var line = new string('x', 4 * 1024 * 1024);
        await client.AskAsync(line, expect: "hello " + line);
        await client.AskAsync("after", expect: "hello after");
    }

    [Theory]
    [InlineData(MutualTlsMode.Strict, true)]
    [InlineData(MutualTlsMode.Disable, true)]
    [InlineData(MutualTlsMode.Disable, false)]
    public async Task AnApplicationThatRefusesTheConnectionEndsTheCallersAndTheNextConnectionIsServedOnceItListens(MutualTlsMode mode, bool eventLoops)
    {
        await using var mesh = await TcpMesh.StartAsync(mode, eventLoops: eventLoops);
        int closedPort;
        using (var closed = new TcpListener(IPAddress.Loopback, 0))
        {
            closed.Start();
            closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        }

        mesh.PointApplicationsAt(new Uri($"tcp://127.0.0.1:{closedPort}"));

        // The inbound sidecar cannot reach its application (UF): the caller's connection ends.
        using (var client = await mesh.ConnectAsync())
        {
            await client.AssertClosedAsync();
        }

        mesh.PointApplicationsAt(null);

        using var next = await mesh.ConnectAsync();
        await next.AskAsync("again", expect: "hello again");
    }

    [Theory]
    [InlineData(MutualTlsMode.Strict, true)]
    [InlineData(MutualTlsMode.Disable, true)]
    [InlineData(MutualTlsMode.Disable, false)]
    public async Task AnApplicationThatDoesNotTakeTheConnectionWithinTheConnectTimeoutEndsTheCallers(MutualTlsMode mode, bool eventLoops)
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mesh = await TcpMesh.StartAsync(mode, time: time, eventLoops: eventLoops);

        // An application whose queue of connections to accept is full: the system answers no new one.
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        full.Listen(0);
        var waiting = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var queued = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            waiting.Add(queued);
            using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await queued.ConnectAsync(full.LocalEndPoint!, attempt.Token);
            }
            catch (OperationCanceledException)
            {
                // Not answered: the queue is full.
            }
        }

        mesh.PointApplicationsAt(new Uri($"tcp://{full.LocalEndPoint}"));

        using var client = await mesh.ConnectAsync();
        await client.Stream.WriteAsync("anyone?\n"u8.ToArray()).AsTask().WaitAsync(Cap);

        // Istio's default connect timeout (10 s) on the injected clock: the inbound sidecar gives up (UF), and the caller's connection ends.
        var ended = client.AssertEndedAsync();
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return ended.IsCompleted;
        }, Cap);
        await ended;
        waiting.ForEach(socket => socket.Dispose());
    }

    [Fact]
    public async Task TcpRoutesSendEveryConnectionToTheirWeightedDestination()
    {
        await using var mesh = await TcpMesh.StartAsync(MutualTlsMode.Strict, routes:
        [
            new TcpRoute { Match = [new L4MatchAttributes { Port = 9999 }], Route = [new RouteDestination(new Destination("echo", "v1"))] },
            new TcpRoute { Match = [new L4MatchAttributes { Port = 9000 }], Route = [new RouteDestination(new Destination("echo", "v1"), 0), new RouteDestination(new Destination("echo", "v2"), 100)] },
        ]);

        for (var i = 0; i < 3; i++)
        {
            using var client = await mesh.ConnectAsync();
            Assert.Equal("echo-v2/0", await client.AskAsync("hi", expect: "hello hi"));
        }
    }

    [Fact]
    public async Task ADenyPolicyOnTheCallersPrincipalClosesItsConnections()
    {
        await using var mesh = await TcpMesh.StartAsync(MutualTlsMode.Strict, policies:
        [
            new AuthorizationPolicy("deny-client", AuthorizationAction.Deny)
            {
                Selector = new Dictionary<string, string> { ["app"] = "echo" },
                Rules = [new AuthorizationRule { From = [new AuthorizationSource { Principals = ["cluster.local/ns/default/sa/client"] }] }],
            },
        ]);

        using var spans = new SpanCollector();
        using var client = await mesh.ConnectAsync();
        await client.AssertClosedAsync();

        // Said as for an HTTP request: the inbound span names the policy and the principal it denied.
        var inbound = Assert.Single(await spans.WaitForAsync(span => span.DisplayName.EndsWith("(inbound, tcp)", StringComparison.Ordinal) && span.Events.Any(e => e.Name == "rbac.denied"), 1, "the denied connection's inbound span"));
        var denied = inbound.Events.Single(e => e.Name == "rbac.denied");
        Assert.Equal("deny-client", denied.Tags.Single(tag => tag.Key == "policy").Value);
        Assert.Equal("cluster.local/ns/default/sa/client", denied.Tags.Single(tag => tag.Key == "source_principal").Value);
    }

    [Theory]
    [InlineData(MutualTlsMode.Strict)]
    [InlineData(MutualTlsMode.Disable)]
    public async Task APolicyThatNowDeniesAnOpenConnectionClosesIt(MutualTlsMode mode)
    {
        await using var mesh = await TcpMesh.StartAsync(mode);
        using var client = await mesh.ConnectAsync();
        await client.AskAsync("before", expect: "hello before");

        mesh.Server.State.SetConfig(mesh.Server.State.Snapshot.Config with
        {
            AuthorizationPolicies = [new AuthorizationPolicy("deny-all", AuthorizationAction.Deny) { Rules = [new AuthorizationRule()] }],
        });

        // As Envoy drains a listener whose filter chain changed: the connection the new policy denies ends.
        await client.AssertClosedAsync();
    }

    [Fact]
    public async Task AnAllowRuleThatNeedsHttpAttributesMatchesNoConnectionAndADenyRuleIgnoresThem()
    {
        var allowGetsOnly = new AuthorizationPolicy("allow-get", AuthorizationAction.Allow)
        {
            Selector = new Dictionary<string, string> { ["app"] = "echo" },
            Rules = [new AuthorizationRule { To = [new AuthorizationOperation { Methods = ["GET"], Ports = ["9000"] }] }],
        };
        await using (var mesh = await TcpMesh.StartAsync(MutualTlsMode.Strict, policies: [allowGetsOnly]))
        {
            // Istio: the methods field cannot apply to TCP, so the ALLOW rule matches nothing, and an ALLOW policy that matches nothing denies.
            using var client = await mesh.ConnectAsync();
            await client.AssertClosedAsync();
        }

        var denyGets = allowGetsOnly with { Name = "deny-get", Action = AuthorizationAction.Deny };
        var allowAll = new AuthorizationPolicy("allow-all", AuthorizationAction.Allow) { Rules = [new AuthorizationRule()] };
        await using (var mesh = await TcpMesh.StartAsync(MutualTlsMode.Strict, policies: [denyGets, allowAll]))
        {
            // Istio: a DENY rule is evaluated without its HTTP fields, so it denies every connection to port 9000 (it denies more, never less).
            using var client = await mesh.ConnectAsync();
            await client.AssertClosedAsync();
        }
    }

    [Theory]
    [InlineData(MutualTlsMode.Strict)]
    [InlineData(MutualTlsMode.Disable)]
    public async Task AConnectionWithNoByteEitherWayForAnHourIsClosedAndEachByteStartsTheHourAgain(MutualTlsMode mode)
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mesh = await TcpMesh.StartAsync(mode, time: time);
        using var client = await mesh.ConnectAsync();
        await client.AskAsync("one", expect: "hello one");

        time.Advance(TimeSpan.FromMinutes(59));
        await client.AskAsync("two", expect: "hello two");
        // An hour after the first bytes but not after the last: still open.
        time.Advance(TimeSpan.FromMinutes(2));
        await client.AskAsync("three", expect: "hello three");

        // Istio's connectionPool.tcp.idleTimeout default, Envoy's TCP proxy idle_timeout: both ends are closed.
        time.Advance(TcpSettings.DefaultIdleTimeout);
        await client.AssertEndedAsync();
    }

    [Fact]
    public async Task TheDestinationRulesTcpIdleTimeoutClosesAQuietConnectionSooner()
    {
        var rule = MeshFixtures.RoundRobinV1V2 with
        {
            TrafficPolicy = MeshFixtures.RoundRobinV1V2.TrafficPolicy! with { ConnectionPool = new ConnectionPoolSettings { Tcp = new TcpSettings { IdleTimeout = TimeSpan.FromMinutes(10) } } },
        };
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mesh = await TcpMesh.StartAsync(MutualTlsMode.Strict, rule: rule, time: time);
        using var client = await mesh.ConnectAsync();
        await client.AskAsync("one", expect: "hello one");

        time.Advance(TimeSpan.FromMinutes(10));
        await client.AssertEndedAsync();
    }

    [Fact]
    public async Task MaxConnectionsClosesAConnectionOverTheLimitAndCountsIt()
    {
        var rule = MeshFixtures.RoundRobinV1V2 with
        {
            TrafficPolicy = MeshFixtures.RoundRobinV1V2.TrafficPolicy! with { ConnectionPool = new ConnectionPoolSettings { Tcp = new TcpSettings { MaxConnections = 1 } } },
        };
        await using var mesh = await TcpMesh.StartAsync(MutualTlsMode.Strict, rule: rule, routes:
        [
            new TcpRoute { Route = [new RouteDestination(new Destination("echo", "v2"))] },
        ]);

        using var first = await mesh.ConnectAsync();
        Assert.Equal("echo-v2/0", await first.AskAsync("one", expect: "hello one"));

        using var second = await mesh.ConnectAsync();
        await second.AssertClosedAsync();

        first.Dispose();
        // Once the first connection is gone its place is free again.
        await Eventually.TrueAsync(() =>
        {
            using var third = mesh.ConnectAsync().GetAwaiter().GetResult();
            return third.TryAskAsync("three").GetAwaiter().GetResult() is not null;
        }, Cap);
    }

    [Fact]
    public async Task EachConnectionIsCountedWithIstiosTcpMetrics()
    {
        await using var mesh = await TcpMesh.StartAsync(MutualTlsMode.Strict, metrics: true);
        using (var client = await mesh.ConnectAsync())
        {
            await client.AskAsync("count me", expect: "hello count me");
        }

        using var http = new HttpClient { Timeout = Cap };
        foreach (var (metric, reporter) in new[] { ("istio_tcp_connections_closed_total", "destination"), ("istio_tcp_connections_opened_total", "source"), ("istio_tcp_received_bytes_total", "source") })
        {
            var series = new Regex($@"^{metric}\{{[^}}]*destination_service_name=""echo""[^}}]*reporter=""{reporter}""[^}}]*source_workload=""client""[^}}]*\}} [1-9]\d*$", RegexOptions.Multiline);
            await Eventually.TrueAsync(() => series.IsMatch(http.GetStringAsync(mesh.Server.MetricsAddress).GetAwaiter().GetResult()), Cap);
        }
    }

    [Fact]
    public async Task ALongConnectionsBytesAreCountedEveryFifteenSecondsWhileItLasts()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mesh = await TcpMesh.StartAsync(MutualTlsMode.Disable, metrics: true, time: time, client: "long-client");
        using var client = await mesh.ConnectAsync();
        await client.AskAsync("still here", expect: "hello still here");
        using var http = new HttpClient { Timeout = Cap };
        var received = new Regex("""^istio_tcp_received_bytes_total\{[^}]*reporter="source"[^}]*source_workload="long-client"[^}]*\} (\d+)$""", RegexOptions.Multiline);
        Assert.DoesNotMatch(received, await http.GetStringAsync(mesh.Server.MetricsAddress));

        // Istio's tcp_reporting_duration: the open connection's bytes are counted without waiting for it to close.
        time.Advance(TimeSpan.FromSeconds(15));

        await Eventually.TrueAsync(() => received.Match(http.GetStringAsync(mesh.Server.MetricsAddress).GetAwaiter().GetResult()) is { Success: true } match
            && match.Groups[1].Value == "11", Cap);
    }

    /// <summary>The TCP mesh: its server and the echo servers by replica name.</summary>
    private sealed class TcpMesh : IAsyncDisposable
    {
        private readonly List<EchoServer> _servers;

        private readonly string _client;

        private TcpMesh(MeshServer server, List<EchoServer> servers, string client)
        {
            Server = server;
            _servers = servers;
            _client = client;
        }

        public MeshServer Server { get; }

        public static async Task<TcpMesh> StartAsync(
            MutualTlsMode mode, IEnumerable<TcpRoute>? routes = null, DestinationRule? rule = null, IEnumerable<AuthorizationPolicy>? policies = null, bool metrics = false,
            TimeProvider? time = null, string client = "client", bool eventLoops = true)
        {
            var config = MeshFixtures.CallerAndEcho(client, new MeshServiceConfig("echo") { Port = 9000, Protocol = ServiceProtocol.Tcp, Tcp = [.. routes ?? []], DestinationRule = rule }, mode)
                with { AuthorizationPolicies = [.. policies ?? []] };
            var server = await MeshServer.StartAsync(config, new MeshServerOptions { MetricsPort = metrics ? 0 : null, TimeProvider = time ?? TimeProvider.System, TcpEventLoops = eventLoops });
            var servers = new List<EchoServer>();
            foreach (var (workload, replica) in MeshFixtures.EchoReplicas)
            {
                var echo = new EchoServer($"{workload}/{replica}");
                servers.Add(echo);
                server.State.SetApplication(workload, replica, echo.Address);
            }

            return new TcpMesh(server, servers, client);
        }

        /// <summary>Points every echo replica's inbound sidecar at <paramref name="address"/>; null: back at its own echo server.</summary>
        public void PointApplicationsAt(Uri? address)
        {
            foreach (var ((workload, replica), echo) in MeshFixtures.EchoReplicas.Zip(_servers))
            {
                Server.State.SetApplication(workload, replica, address ?? echo.Address);
            }
        }

        /// <summary>A connection from the client application to its outbound sidecar for echo.</summary>
        public async Task<Connection> ConnectAsync()
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, Server.Addresses[$"outbound|{_client}|echo"].Port).WaitAsync(Cap);
            return new Connection(socket);
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            foreach (var echo in _servers)
            {
                echo.Dispose();
            }
        }
    }

    internal sealed class Connection(Socket socket) : IDisposable
    {
        private StreamReader? _reader;

        public Socket Socket { get; } = socket;

        public NetworkStream Stream { get; } = new(socket, ownsSocket: true);

        /// <summary>Sends a line and returns which server answered; the answer must end with <paramref name="expect"/>.</summary>
        public async Task<string> AskAsync(string line, string expect)
        {
            var answer = await TryAskAsync(line) ?? throw new Xunit.Sdk.XunitException("The connection closed before an answer.");
            Assert.EndsWith(expect, answer, StringComparison.Ordinal);
            return answer[..answer.IndexOf(' ', StringComparison.Ordinal)];
        }

        public async Task<string?> TryAskAsync(string line)
        {
            try
            {
                await Stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n")).AsTask().WaitAsync(Cap);
                _reader ??= new StreamReader(Stream);
                return await _reader.ReadLineAsync().WaitAsync(Cap);
            }
            catch (IOException)
            {
                return null;
            }
        }

        /// <summary>The sidecar closed the connection: nothing was answered.</summary>
        public async Task AssertClosedAsync() => Assert.Null(await TryAskAsync("anyone?"));

        /// <summary>The sidecar ended the connection without being asked anything: the next read ends (or fails), within the cap.</summary>
        public async Task AssertEndedAsync()
        {
            _reader ??= new StreamReader(Stream);
            try
            {
                Assert.Null(await _reader.ReadLineAsync().WaitAsync(Cap));
            }
            catch (IOException)
            {
                // Reset rather than closed: ended all the same.
            }
        }

        public void Dispose() => Stream.Dispose();
    }

    /// <summary>Answers each line with <c>&lt;name&gt; hello &lt;line&gt;</c>; closes when the caller is done sending.</summary>
    private sealed class EchoServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public EchoServer(string name)
        {
            _listener.Start();
            Address = new Uri($"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
            _ = AcceptAsync(name);
        }

        public Uri Address { get; }

        private async Task AcceptAsync(string name)
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = ServeAsync(client, name);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task ServeAsync(TcpClient client, string name)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    using var reader = new StreamReader(stream);
                    while (await reader.ReadLineAsync(_stop.Token) is { } line)
                    {
                        await stream.WriteAsync(Encoding.UTF8.GetBytes($"{name} hello {line}\n"), _stop.Token);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
                {
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
