using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Bench;

/// <summary>
/// The protocols beside HTTP/1.1, each side by side in one run: gRPC unary calls with h2load
/// (direct to a gRPC backend, through the mesh in plaintext and with mutual TLS), TCP with
/// redis-benchmark against the sample's cache (Garnet) direct and through the mesh's TCP sidecars,
/// and WebSocket echo round trips direct and through the mesh.
/// </summary>
internal static partial class ProtocolsBenchmark
{
    private const string Area = "Protocols";
    private const string GrpcPath = "/bench.Echo/Unary";

    /// <summary>The protocols measured, each also an area of its own (to measure one alone while working on it).</summary>
    public static readonly string[] Parts = ["grpc", "websocket", "tcp"];

    public static async Task<IReadOnlyList<Row>> RunAsync(params string[] parts)
    {
        Tools.Require("h2load", "redis-benchmark");
        using var backend = GrpcBackend.Start();
        var rows = new List<Row>();
        if (parts.Contains("grpc"))
        {
            rows.AddRange(await GrpcAsync(backend));
        }

        if (parts.Contains("websocket"))
        {
            rows.AddRange(await WebSocketAsync(backend.WebSocket));
        }

        if (parts.Contains("tcp"))
        {
            rows.AddRange(await TcpAsync());
        }

        return rows;
    }

    private static async Task<IEnumerable<Row>> GrpcAsync(GrpcBackend server)
    {
        var backend = server.Grpc;
        await using var plaintext = await StartMeshAsync(ServiceProtocol.Grpc, MutualTlsMode.Disable, backend);
        await using var mutualTls = await StartMeshAsync(ServiceProtocol.Grpc, MutualTlsMode.Strict, backend);
        using var nginx = PeerProxy.Nginx("grpc", folder => NginxGrpc(folder, backend, tls: false));
        using var nginxTls = PeerProxy.Nginx("grpcs", folder => NginxGrpc(folder, backend, tls: true));
        using var haproxy = PeerProxy.HAProxy("grpc", "http", folder => HAProxyChain(folder, backend, tls: false, http2: true));
        using var haproxyTls = PeerProxy.HAProxy("grpcs", "http", folder => HAProxyChain(folder, backend, tls: true, http2: true));
        var request = Path.GetTempFileName();
        try
        {
            // One gRPC message (a 5-byte prefix, then a 32-byte payload), as h2load's request body.
            var frame = new byte[5 + 32];
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), 32);
            await File.WriteAllBytesAsync(request, frame);
            // Each with whose processor time serves its calls: the mesh's sidecars run in this process.
            var targets = new (string Name, Uri Address, Func<Usage> Usage)[]
            {
                ("direct", backend, server.Usage),
                ("mesh, plaintext", plaintext.Addresses[CallerListener], Usage.OfThisProcess),
                ("mesh, mTLS", mutualTls.Addresses[CallerListener], Usage.OfThisProcess),
                ("nginx grpc_pass, two chained, h2c", nginx.Address, nginx.Usage),
                ("nginx grpc_pass, two chained, mutual TLS between", nginxTls.Address, nginxTls.Usage),
                ("HAProxy h2, two chained, h2c", haproxy.Address, haproxy.Usage),
                ("HAProxy h2, two chained, mutual TLS between", haproxyTls.Address, haproxyTls.Usage),
            };
            // Each target warmed up long enough for the JIT's tiers to settle, then measured in rounds
            // that take the targets in turn, the median of each kept: measured one after another, the
            // first (the plaintext mesh, after 5,000 calls of warm-up) read as half of the second's throughput.
            const int Calls = 50_000;
            var runs = targets.ToDictionary(target => target.Name, _ => new List<(H2Load.Result Result, double CpuPerCall)>());
            var single = new Dictionary<string, H2Load.Result>();
            foreach (var (name, address, _) in targets)
            {
                Console.Error.WriteLine($"  gRPC: {name}, warm-up…");
                await H2Load.RunAsync(address, request, requests: Calls, clients: 8, streams: 10);
                single[name] = await H2Load.RunAsync(address, request, requests: 5_000, clients: 1, streams: 1);
            }

            for (var round = 1; round <= 3; round++)
            {
                Console.Error.WriteLine($"  gRPC: round {round} of 3…");
                foreach (var (name, address, usage) in targets)
                {
                    var before = usage();
                    var result = await H2Load.RunAsync(address, request, requests: Calls, clients: 8, streams: 10);
                    runs[name].Add((result, (usage() - before).Processor.TotalMicroseconds / Calls));
                }
            }

            var load = runs.ToDictionary(pair => pair.Key, pair => pair.Value.OrderBy(run => run.Result.RequestsPerSecond).ElementAt(1).Result);
            var cpu = runs.ToDictionary(pair => pair.Key, pair => pair.Value.Select(run => run.CpuPerCall).Order().ElementAt(1));
            var rows = targets.SelectMany(target => new Row[]
            {
                new(Area, $"gRPC unary, {target.Name}: throughput (8 connections × 10 streams)", Row.Format(load[target.Name].RequestsPerSecond, "calls/s")),
                new(Area, $"gRPC unary, {target.Name}: p50 latency, one call at a time", Row.Format(single[target.Name].P50, "ms")),
                new(Area, $"gRPC unary, {target.Name}: processor time per call ({(target.Name == "direct" ? "the backend" : "the proxies")})", Row.Format(cpu[target.Name], "µs")),
            }).ToList();
            double Best(params string[] names) => names.Max(name => load[name].RequestsPerSecond);
            rows.Add(Row.AtLeast(Area, "gRPC throughput through the mesh (plaintext) ÷ the better h2c peer", load["mesh, plaintext"].RequestsPerSecond / Best(targets[3].Name, targets[5].Name), 1.0, "×"));
            rows.Add(Row.AtLeast(Area, "gRPC throughput through the mesh (mTLS) ÷ the better peer with TLS", load["mesh, mTLS"].RequestsPerSecond / Best(targets[4].Name, targets[6].Name), 1.0, "×"));
            rows.Add(Row.AtLeast(Area, "gRPC throughput through the mesh (plaintext) ÷ direct", load["mesh, plaintext"].RequestsPerSecond / load["direct"].RequestsPerSecond, 0.5, "×"));
            rows.Add(Row.AtLeast(Area, "gRPC throughput through the mesh (mTLS) ÷ direct", load["mesh, mTLS"].RequestsPerSecond / load["direct"].RequestsPerSecond, 0.5, "×"));
            rows.Add(new Row(Area, "gRPC processor time per call through the mesh, mTLS ÷ plaintext", Row.Format(cpu["mesh, mTLS"] / cpu["mesh, plaintext"], "×")));
            rows.Add(Row.AtMost(Area, "gRPC call's added p50 latency (mesh, mTLS)", single["mesh, mTLS"].P50 - single["direct"].P50, 1, "ms"));
            return rows;
        }
        finally
        {
            File.Delete(request);
        }
    }

    private static async Task<IEnumerable<Row>> WebSocketAsync(Uri backend)
    {
        await using var mesh = await StartMeshAsync(ServiceProtocol.Http, MutualTlsMode.Strict, backend);
        using var nginx = PeerProxy.Nginx("ws", folder => RequestPathBenchmark.NginxHttp(folder, backend, tls: false));
        using var nginxTls = PeerProxy.Nginx("wss", folder => RequestPathBenchmark.NginxHttp(folder, backend, tls: true));
        var rows = new List<Row>();
        var p50 = new Dictionary<string, double>();
        foreach (var (name, address) in new[] { ("direct", backend), ("mesh, mTLS", mesh.Addresses[CallerListener]), ("nginx, two chained", nginx.Address), ("nginx, two chained, mutual TLS between", nginxTls.Address) })
        {
            Console.Error.WriteLine($"  WebSocket: {name}…");
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(new UriBuilder(address) { Scheme = "ws", Path = "/echo" }.Uri, CancellationToken.None);
            var message = new byte[64];
            var buffer = new byte[64];
            var times = new List<double>();
            for (var i = 0; i < 6_000; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
                await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (i >= 1_000)
                {
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds); // after 1,000 to warm up
                }
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            p50[name] = Percentiles.Median(times);
            rows.Add(new Row(Area, $"WebSocket echo, {name}: round trip p50 / p99 of 5,000 (64 bytes)", $"{Row.Format(p50[name], "ms")} / {Row.Format(Percentiles.Of(times, 99), "ms")}"));
        }

        rows.Add(new Row(Area, "WebSocket round trip's added p50 (nginx, mutual TLS between)", Row.Format(p50["nginx, two chained, mutual TLS between"] - p50["direct"], "ms")));
        rows.Add(Row.AtMost(Area, "WebSocket round trip's added p50 (mesh, mTLS) ÷ nginx's (mutual TLS between)",
            (p50["mesh, mTLS"] - p50["direct"]) / (p50["nginx, two chained, mutual TLS between"] - p50["direct"]), 1.0, "×"));
        return rows;
    }

    /// <summary>The TCP area's mesh and cache, until stopped: two of them side by side (loops on and off) compare within one run.</summary>
    public static async Task ServeTcpMeshAsync(MutualTlsMode mode, bool loops)
    {
        using var cache = Cache.Start();
        await using var mesh = await StartMeshAsync(ServiceProtocol.Tcp, mode, cache.Address, loops);
        Console.WriteLine($"{mesh.Addresses[CallerListener].Port}");
        await Task.Delay(Timeout.Infinite);
    }

    private static async Task<IEnumerable<Row>> TcpAsync()
    {
        using var cache = Cache.Start();
        await using var plaintext = await StartMeshAsync(ServiceProtocol.Tcp, MutualTlsMode.Disable, cache.Address);
        await using var mutualTls = await StartMeshAsync(ServiceProtocol.Tcp, MutualTlsMode.Strict, cache.Address);
        Tools.RequireFile(NginxStreamModule, "libnginx-mod-stream");
        using var nginx = PeerProxy.Nginx("stream", folder => NginxStream(folder, cache.Address, tls: false), module: NginxStreamModule);
        using var nginxTls = PeerProxy.Nginx("streams", folder => NginxStream(folder, cache.Address, tls: true), module: NginxStreamModule);
        using var haproxy = PeerProxy.HAProxy("tcp", "tcp", folder => HAProxyChain(folder, cache.Address, tls: false, http2: false));
        using var haproxyTls = PeerProxy.HAProxy("tcps", "tcp", folder => HAProxyChain(folder, cache.Address, tls: true, http2: false));
        var targets = new (string Name, int Port)[]
        {
            ("direct", cache.Address.Port),
            ("mesh, plaintext", plaintext.Addresses[CallerListener].Port),
            ("mesh, mTLS", mutualTls.Addresses[CallerListener].Port),
            ("nginx stream, two chained", nginx.Address.Port),
            ("nginx stream, two chained, mutual TLS between", nginxTls.Address.Port),
            ("HAProxy tcp, two chained", haproxy.Address.Port),
            ("HAProxy tcp, two chained, mutual TLS between", haproxyTls.Address.Port),
        };
        var rows = new List<Row>();
        foreach (var (name, port) in targets)
        {
            Console.Error.WriteLine($"  TCP: {name}, warm-up…");
            await RedisBenchmark.RunAsync(port, requests: 20_000, pipeline: 1);
        }

        // Three rounds that take the targets in turn, the median of each kept: measured one after
        // another, two runs of the same target differed by up to 20%, the peers' as much as the mesh's.
        var runs = targets.ToDictionary(target => target.Name, _ => new List<((double Get, double Set, double GetP50) Plain, (double Get, double Set, double GetP50) Pipelined)>());
        for (var round = 1; round <= 3; round++)
        {
            Console.Error.WriteLine($"  TCP: round {round} of 3…");
            foreach (var (name, port) in targets)
            {
                runs[name].Add((await RedisBenchmark.RunAsync(port, requests: 100_000, pipeline: 1), await RedisBenchmark.RunAsync(port, requests: 400_000, pipeline: 16)));
            }
        }

        var (plain, pipelined) = (new Dictionary<string, double>(), new Dictionary<string, double>());
        foreach (var (name, _) in targets)
        {
            double Median(Func<((double Get, double Set, double GetP50) Plain, (double Get, double Set, double GetP50) Pipelined), double> of) => Percentiles.Median([.. runs[name].Select(of)]);
            var (get, set, p50) = (Median(run => run.Plain.Get), Median(run => run.Plain.Set), Median(run => run.Plain.GetP50));
            var (pipelinedGet, pipelinedSet) = (Median(run => run.Pipelined.Get), Median(run => run.Pipelined.Set));
            (plain[name], pipelined[name]) = ((get + set) / 2, (pipelinedGet + pipelinedSet) / 2);
            rows.Add(new Row(Area, $"TCP (redis-benchmark GET/SET, 32 connections), {name}: throughput", $"{Row.Format(get, "GET/s")} / {Row.Format(set, "SET/s")}"));
            rows.Add(new Row(Area, $"TCP (redis-benchmark, pipelined 16), {name}: throughput", $"{Row.Format(pipelinedGet, "GET/s")} / {Row.Format(pipelinedSet, "SET/s")}"));
            rows.Add(new Row(Area, $"TCP (redis-benchmark), {name}: GET p50 latency", Row.Format(p50, "ms")));
        }

        double Best(params string[] names) => names.Max(name => plain[name]);
        rows.Add(Row.AtLeast(Area, "TCP throughput through the mesh (plaintext) ÷ the better peer", plain["mesh, plaintext"] / Best(targets[3].Name, targets[5].Name), 1.0, "×"));
        rows.Add(Row.AtLeast(Area, "TCP throughput through the mesh (mTLS) ÷ the better peer with TLS", plain["mesh, mTLS"] / Best(targets[4].Name, targets[6].Name), 1.0, "×"));
        rows.Add(Row.AtLeast(Area, "TCP throughput through the mesh (mTLS) ÷ direct", plain["mesh, mTLS"] / plain["direct"], 0.7, "×"));
        rows.Add(Row.AtLeast(Area, "TCP pipelined throughput through the mesh (mTLS) ÷ direct", pipelined["mesh, mTLS"] / pipelined["direct"], 0.7, "×"));
        return rows;
    }

    private const string NginxStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so";

    /// <summary>nginx's gRPC proxy (<c>grpc_pass</c>), two chained over HTTP/2, keep-alive upstreams; with <paramref name="tls"/>, mutual TLS between the two.</summary>
    private static string NginxGrpc(PeerFolder folder, Uri backend, bool tls) => $$"""
        http {
            {{PeerProxy.NginxHttpSettings(folder, backend)}}
            server {
                listen 127.0.0.1:{{folder.First}} http2;
                location / {
                    grpc_pass {{(tls ? "grpcs" : "grpc")}}://second;
                    {{(tls ? $"grpc_ssl_certificate {folder.File("first.pem")}; grpc_ssl_certificate_key {folder.File("first.key")}; grpc_ssl_trusted_certificate {folder.File("ca.pem")}; grpc_ssl_verify on; grpc_ssl_name second; grpc_ssl_protocols TLSv1.3; grpc_ssl_session_reuse on;" : "")}}
                }
            }
            server {
                listen 127.0.0.1:{{folder.Second}}{{(tls ? " ssl" : "")}} http2;
                {{(tls ? $"ssl_certificate {folder.File("second.pem")}; ssl_certificate_key {folder.File("second.key")}; ssl_client_certificate {folder.File("ca.pem")}; ssl_verify_client on; ssl_protocols TLSv1.3; ssl_session_cache shared:tls:10m;" : "")}}
                location / { grpc_pass grpc://backend; }
            }
        }
        """;

    /// <summary>nginx's TCP proxy (<c>stream</c>), two chained; with <paramref name="tls"/>, mutual TLS between the two.</summary>
    private static string NginxStream(PeerFolder folder, Uri backend, bool tls) => $$"""
        stream {
            upstream second { server 127.0.0.1:{{folder.Second}}; }
            upstream backend { server {{backend.Authority}}; }
            server {
                listen 127.0.0.1:{{folder.First}};
                proxy_pass second;
                {{(tls ? $"proxy_ssl on; proxy_ssl_certificate {folder.File("first.pem")}; proxy_ssl_certificate_key {folder.File("first.key")}; proxy_ssl_trusted_certificate {folder.File("ca.pem")}; proxy_ssl_verify on; proxy_ssl_name second; proxy_ssl_protocols TLSv1.3; proxy_ssl_session_reuse on;" : "")}}
            }
            server {
                listen 127.0.0.1:{{folder.Second}}{{(tls ? " ssl" : "")}};
                {{(tls ? $"ssl_certificate {folder.File("second.pem")}; ssl_certificate_key {folder.File("second.key")}; ssl_client_certificate {folder.File("ca.pem")}; ssl_verify_client on; ssl_protocols TLSv1.3; ssl_session_cache shared:tls:10m;" : "")}}
                proxy_pass backend;
            }
        }
        """;

    /// <summary>HAProxy's two chained proxies (<c>mode tcp</c>, or <c>mode http</c> speaking HTTP/2 end to end); with <paramref name="tls"/>, mutual TLS between the two.</summary>
    private static string HAProxyChain(PeerFolder folder, Uri backend, bool tls, bool http2)
    {
        var proto = http2 ? " proto h2" : "";
        var alpn = http2 ? " alpn h2" : "";
        return $"""
            frontend first
                bind 127.0.0.1:{folder.First}{proto}
                default_backend to_second
            backend to_second
                server second 127.0.0.1:{folder.Second}{(tls ? $" ssl crt {folder.File("first.bundle")} ca-file {folder.File("ca.pem")} verify required verifyhost second sni str(second) ssl-min-ver TLSv1.3{alpn}" : proto)}
            frontend second_in
                bind 127.0.0.1:{folder.Second}{(tls ? $" ssl crt {folder.File("second.bundle")} ca-file {folder.File("ca.pem")} verify required ssl-min-ver TLSv1.3{alpn}" : proto)}
                default_backend to_backend
            backend to_backend
                server backend {backend.Authority}{proto}
            """;
    }

    private const string CallerListener = "outbound|caller-v1|backend";

    /// <summary>A caller's outbound sidecar and the backend's inbound one, the backend's port speaking <paramref name="protocol"/>.</summary>
    private static async Task<MeshServer> StartMeshAsync(ServiceProtocol protocol, MutualTlsMode mode, Uri backend, bool loops = true)
    {
        var server = await MeshServer.StartAsync(new MeshConfig
        {
            Services = [new MeshServiceConfig("caller"), new MeshServiceConfig("backend") { Protocol = protocol }],
            Workloads =
            [
                new WorkloadConfig("caller-v1", "caller", ImmutableDictionary<string, string>.Empty.Add("app", "caller"), "caller-v1", 0),
                new WorkloadConfig("backend-v1", "backend", ImmutableDictionary<string, string>.Empty.Add("app", "backend"), "backend-v1", 1),
            ],
            Listeners = [ListenerConfig.Inbound("backend-v1", 0), ListenerConfig.Outbound("caller-v1", "backend")],
            PeerAuthentications = [new PeerAuthentication("default", mode)],
        }, new MeshServerOptions { TcpEventLoops = loops });
        server.State.SetApplication("backend-v1", 0, backend);
        return server;
    }

    /// <summary>h2load with a gRPC request body; the p50 from its per-request log.</summary>
    private static partial class H2Load
    {
        public sealed record Result(double RequestsPerSecond, double P50);

        public static async Task<Result> RunAsync(Uri address, string body, int requests, int clients, int streams)
        {
            var log = Path.GetTempFileName();
            try
            {
                var output = await Tools.RunAsync("h2load", "-n", requests.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
                    "-m", streams.ToString(CultureInfo.InvariantCulture), "-t", "1", "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers",
                    "--log-file", log, new Uri(address, GrpcPath).ToString());
                if (Succeeded().Match(output) is not { Success: true } succeeded || int.Parse(succeeded.Groups[1].Value, CultureInfo.InvariantCulture) != requests
                    || Throughput().Match(output) is not { Success: true } throughput)
                {
                    throw new InvalidOperationException($"h2load against {address} did not complete every call:\n{output}");
                }

                // Each line: start time, status, duration in microseconds.
                var durations = (await File.ReadAllLinesAsync(log))
                    .Select(line => line.Split('\t'))
                    .Where(fields => fields.Length >= 3)
                    .Select(fields => double.Parse(fields[2], CultureInfo.InvariantCulture) / 1000)
                    .ToList();
                return new Result(double.Parse(throughput.Groups[1].Value, CultureInfo.InvariantCulture), Percentiles.Median(durations));
            }
            finally
            {
                File.Delete(log);
            }
        }

        [GeneratedRegex(@"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded")]
        private static partial Regex Succeeded();

        [GeneratedRegex(@"finished in [\d.]+\w+, ([\d.]+) req/s")]
        private static partial Regex Throughput();
    }

    /// <summary>redis-benchmark's GET and SET at 32 connections.</summary>
    private static partial class RedisBenchmark
    {
        public static async Task<(double Get, double Set, double GetP50)> RunAsync(int port, int requests, int pipeline)
        {
            var output = await Tools.RunAsync("redis-benchmark", "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture),
                "-t", "set,get", "-n", requests.ToString(CultureInfo.InvariantCulture), "-c", "32", "-P", pipeline.ToString(CultureInfo.InvariantCulture), "-q");
            var set = Line().Matches(output).FirstOrDefault(match => match.Groups[1].Value == "SET");
            var get = Line().Matches(output).FirstOrDefault(match => match.Groups[1].Value == "GET");
            if (set is null || get is null)
            {
                throw new InvalidOperationException($"redis-benchmark against port {port} gave no result:\n{output}");
            }

            return (Parse(get.Groups[2]), Parse(set.Groups[2]), Parse(get.Groups[3]));

            static double Parse(Group group) => double.Parse(group.Value, CultureInfo.InvariantCulture);
        }

        [GeneratedRegex(@"(SET|GET): ([\d.]+) requests per second, p50=([\d.]+) msec")]
        private static partial Regex Line();
    }

    /// <summary>The gRPC and WebSocket backend, in a process of its own.</summary>
    internal sealed class GrpcBackend : IDisposable
    {
        private readonly Process _process;

        private GrpcBackend(Process process, Uri grpc, Uri webSocket) => (_process, Grpc, WebSocket) = (process, grpc, webSocket);

        /// <summary>The gRPC port (HTTP/2 only, as gRPC services serve in plaintext).</summary>
        public Uri Grpc { get; }

        /// <summary>What the backend has spent.</summary>
        public Usage Usage() => LocalMesh.Bench.Usage.Of([_process.Id]);

        /// <summary>The WebSocket port (HTTP/1.1).</summary>
        public Uri WebSocket { get; }

        public static GrpcBackend Start()
        {
            var (grpc, webSocket) = (Tools.FreePort(), Tools.FreePort());
            var process = Process.Start(new ProcessStartInfo(Environment.ProcessPath!,
                ["grpcbackend", grpc.ToString(CultureInfo.InvariantCulture), webSocket.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
            Tools.WaitForPort(grpc);
            Tools.WaitForPort(webSocket);
            return new GrpcBackend(process, new Uri($"http://127.0.0.1:{grpc}/"), new Uri($"http://127.0.0.1:{webSocket}/"));
        }

        /// <summary>
        /// A gRPC unary method answered as Grpc.AspNetCore answers (a message, then
        /// <c>grpc-status: 0</c> in the trailers) over HTTP/2 with prior knowledge, and a WebSocket
        /// echo over HTTP/1.1.
        /// </summary>
        public static async Task ServeAsync(int grpcPort, int webSocketPort)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
                kestrel.Listen(IPAddress.Loopback, webSocketPort, listen => listen.Protocols = HttpProtocols.Http1);
            });
            var app = builder.Build();
            app.UseWebSockets();
            var reply = new byte[5 + 32];
            BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(1), 32);
            app.MapPost(GrpcPath, async context =>
            {
                await context.Request.Body.CopyToAsync(Stream.Null);
                context.Response.ContentType = "application/grpc";
                await context.Response.Body.WriteAsync(reply);
                context.Response.AppendTrailer("grpc-status", "0");
            });
            app.Map("/echo", async context =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
                }
            });
            await app.RunAsync();
        }

        public void Dispose()
        {
            _process.Kill();
            _process.Dispose();
        }
    }

    /// <summary>The sample's redis-cache (Garnet), built beside this program, in a process of its own.</summary>
    private sealed class Cache : IDisposable
    {
        private readonly Process _process;

        private Cache(Process process, Uri address) => (_process, Address) = (process, address);

        public Uri Address { get; }

        public static Cache Start()
        {
            var port = Tools.FreePort();
            var assembly = Path.Combine(Repository.Root, "samples", "RedisCache", "bin", "Release", "net10.0", "RedisCache.dll");
            var start = new ProcessStartInfo("dotnet", [assembly]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["REDIS_PORT"] = port.ToString(CultureInfo.InvariantCulture);
            var process = Process.Start(start)!;
            Tools.WaitForPort(port);
            return new Cache(process, new Uri($"tcp://127.0.0.1:{port}"));
        }

        public void Dispose()
        {
            _process.Kill();
            _process.Dispose();
        }
    }
}
