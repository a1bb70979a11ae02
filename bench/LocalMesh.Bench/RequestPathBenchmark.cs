using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Security;

namespace LocalMesh.Bench;

/// <summary>
/// Throughput, latency and processor time of one call between two services, side by side on this
/// machine with wrk at fixed concurrency: direct to the application; through the mesh (the
/// caller's outbound sidecar, then the callee's inbound sidecar), in plaintext and with mutual
/// TLS; through nginx as two chained reverse proxies in the same topology; and through two
/// chained bare Kestrel proxies, the platform's floor. Each is warmed up, then measured over
/// several rounds; the table holds the medians.
/// </summary>
internal static partial class RequestPathBenchmark
{
    private const string Area = "Request path";
    private const int Connections = 64;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(10);

    public static async Task<IReadOnlyList<Row>> RunAsync(int rounds)
    {
        Tools.Require("wrk", "nginx");
        using var backend = Backend.Start();
        await using var plaintextMesh = await StartMeshAsync(MutualTlsMode.Disable);
        await using var mutualTlsMesh = await StartMeshAsync(MutualTlsMode.Strict);
        plaintextMesh.State.SetApplication("backend-v1", 0, backend.Address);
        mutualTlsMesh.State.SetApplication("backend-v1", 0, backend.Address);
        using var nginx = PeerProxy.Nginx("http", folder => NginxHttp(folder, backend.Address, tls: false));
        using var nginxTls = PeerProxy.Nginx("https", folder => NginxHttp(folder, backend.Address, tls: true));
        await using var kestrel = await KestrelChain.StartAsync(backend.Address);
        // Whose processor time each path costs: the backend's own for the direct call, this
        // process's for the mesh (both sidecars live here, as in the AppHost), the workers' for nginx.
        var targets = new (string Name, Uri Address, Func<Usage> Cpu)[]
        {
            ("direct", backend.Address, backend.Usage),
            ("mesh, plaintext", plaintextMesh.Addresses[CallerListener], Usage.OfThisProcess),
            ("mesh, mTLS", mutualTlsMesh.Addresses[CallerListener], Usage.OfThisProcess),
            ("nginx, two chained proxies", nginx.Address, nginx.Usage),
            (NginxTlsName, nginxTls.Address, nginxTls.Usage),
            (KestrelChainName, kestrel.Address, Usage.OfThisProcess),
        };

        foreach (var (name, address, cpu) in targets)
        {
            Console.Error.WriteLine($"  warming up {name}…");
            await Wrk.RunAsync(address, Warmup, cpu);
        }

        // Rounds interleave the paths, so whatever else the machine does weighs on each alike.
        var measured = targets.ToDictionary(target => target.Name, _ => new List<Result>());
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (name, address, cpu) in targets)
            {
                Console.Error.WriteLine($"  round {round}/{rounds}: {name}…");
                measured[name].Add(await Wrk.RunAsync(address, Round, cpu));
            }
        }

        var results = targets.Select(target => Median(target.Name, measured[target.Name])).ToDictionary(result => result.Name);
        var (plaintext, mutualTls, peer) = (results["mesh, plaintext"], results["mesh, mTLS"], results["nginx, two chained proxies"]);
        var rows = results.Values.SelectMany(result => new Row[]
        {
            new(Area, $"{result.Name}: throughput at {Connections} connections", Row.Format(result.RequestsPerSecond, "req/s")),
            new(Area, $"{result.Name}: p50 / p99 latency", $"{Row.Format(result.P50, "ms")} / {Row.Format(result.P99, "ms")}"),
            new(Area, $"{result.Name}: processor time / context switches per request ({CpuOwner(result.Name)})", $"{Row.Format(result.CpuPerRequest, "µs")} / {Row.Format(result.SwitchesPerRequest, "")}"),
        }).ToList();
        var tlsPeer = results[NginxTlsName];
        rows.Add(Row.AtLeast(Area, "mesh (plaintext) throughput ÷ nginx", plaintext.RequestsPerSecond / peer.RequestsPerSecond, 1.0, "×"));
        rows.Add(Row.AtMost(Area, "mesh (plaintext) p99 ÷ nginx p99", plaintext.P99 / peer.P99, 1.0, "×"));
        rows.Add(Row.AtMost(Area, "mesh (plaintext) processor time per request ÷ nginx's", plaintext.CpuPerRequest / peer.CpuPerRequest, 1.2, "×"));
        rows.Add(Row.AtLeast(Area, "mesh (mTLS) throughput ÷ nginx with TLS between its proxies", mutualTls.RequestsPerSecond / tlsPeer.RequestsPerSecond, 1.0, "×"));
        rows.Add(Row.AtMost(Area, "throughput mTLS costs the mesh", (1 - mutualTls.RequestsPerSecond / plaintext.RequestsPerSecond) * 100, 10, "%"));
        rows.Add(new Row(Area, "throughput TLS costs nginx", Row.Format((1 - tlsPeer.RequestsPerSecond / peer.RequestsPerSecond) * 100, "%")));
        rows.Add(new Row(Area, "mesh (plaintext) processor time per request ÷ the bare Kestrel chain's", Row.Format(plaintext.CpuPerRequest / results[KestrelChainName].CpuPerRequest, "×")));
        return rows;
    }

    private static string CpuOwner(string path) => path switch
    {
        "direct" => "the backend",
        "nginx, two chained proxies" or NginxTlsName => "both nginx workers",
        KestrelChainName => "both proxies",
        _ => "both sidecars",
    };

    private const string CallerListener = "outbound|caller-v1|backend";

    private const string KestrelChainName = "Kestrel, two chained proxies without mesh rules";

    private const string NginxTlsName = "nginx, two chained proxies, mutual TLS between";

    private static Result Median(string name, IReadOnlyList<Result> rounds) => new(
        name,
        Percentiles.Median([.. rounds.Select(r => r.RequestsPerSecond)]),
        Percentiles.Median([.. rounds.Select(r => r.P50)]),
        Percentiles.Median([.. rounds.Select(r => r.P99)]),
        Percentiles.Median([.. rounds.Select(r => r.CpuPerRequest)]),
        Percentiles.Median([.. rounds.Select(r => r.SwitchesPerRequest)]));

    /// <summary>The mesh of the request path on its own, until the process is stopped (for a profiler).</summary>
    public static async Task ServeMeshAsync(Uri backend, MutualTlsMode mode)
    {
        await using var server = await StartMeshAsync(mode);
        server.State.SetApplication("backend-v1", 0, backend);
        Console.WriteLine(server.Addresses[CallerListener]);
        await Task.Delay(Timeout.Infinite);
    }

    /// <summary>Two sample services' sidecars: caller-v1's outbound one for backend, and backend-v1's inbound one.</summary>
    private static Task<MeshServer> StartMeshAsync(MutualTlsMode mode) => MeshServer.StartAsync(new MeshConfig
    {
        Services = [new MeshServiceConfig("caller"), new MeshServiceConfig("backend")],
        Workloads =
        [
            new WorkloadConfig("caller-v1", "caller", ImmutableDictionary<string, string>.Empty.Add("app", "caller"), "caller-v1", 0),
            new WorkloadConfig("backend-v1", "backend", ImmutableDictionary<string, string>.Empty.Add("app", "backend"), "backend-v1", 1),
        ],
        Listeners = [ListenerConfig.Inbound("backend-v1", 0), ListenerConfig.Outbound("caller-v1", "backend")],
        PeerAuthentications = [new PeerAuthentication("default", mode)],
    });

    /// <param name="CpuPerRequest">Processor time (user and system) the path's own processes spent per request, in µs.</param>
    internal sealed record Result(string Name, double RequestsPerSecond, double P50, double P99, double CpuPerRequest, double SwitchesPerRequest);

    /// <summary>wrk, two threads (one per core) at fixed concurrency, with its latency distribution.</summary>
    private static partial class Wrk
    {
        public static async Task<Result> RunAsync(Uri target, TimeSpan duration, Func<Usage> usage)
        {
            var before = usage();
            var output = await Tools.RunAsync("wrk", "-t2", $"-c{Connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", target.ToString());
            var spent = usage() - before;
            var errors = Errors().Match(output);
            if (errors.Success || !RequestsPerSecond().IsMatch(output) || !Requests().IsMatch(output))
            {
                throw new InvalidOperationException($"wrk against {target} did not run cleanly:\n{output}");
            }

            var requests = long.Parse(Requests().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
            return new Result(
                target.ToString(),
                double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
                Milliseconds(Percentile(50).Match(output)),
                Milliseconds(Percentile(99).Match(output)),
                spent.Processor.TotalMicroseconds / requests,
                (double)spent.ContextSwitches / requests);
        }

        private static Regex Percentile(int percentile) => new($@"^\s+{percentile}%\s+([0-9.]+)(us|ms|s)\s*$", RegexOptions.Multiline);

        private static double Milliseconds(Match match)
        {
            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
        }

        [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
        private static partial Regex RequestsPerSecond();

        [GeneratedRegex(@"^\s*([0-9]+) requests in", RegexOptions.Multiline)]
        private static partial Regex Requests();

        [GeneratedRegex(@"Non-2xx or 3xx responses: [1-9]|Socket errors: connect [1-9]")]
        private static partial Regex Errors();
    }

    /// <summary>The application both paths end at: this program started as <c>backend &lt;port&gt;</c>, in its own process.</summary>
    internal sealed class Backend : IDisposable
    {
        private readonly Process _process;

        private Backend(Process process, Uri address) => (_process, Address) = (process, address);

        public Uri Address { get; }

        public Usage Usage() => LocalMesh.Bench.Usage.Of([_process.Id]);

        public static Backend Start()
        {
            var port = Tools.FreePort();
            var start = new ProcessStartInfo(Environment.ProcessPath!, ["backend", port.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true };
            var process = Process.Start(start)!;
            var address = new Uri($"http://127.0.0.1:{port}/");
            Tools.WaitForPort(port);
            return new Backend(process, address);
        }

        /// <summary>The backend itself: a minimal Kestrel application answering a short text.</summary>
        public static async Task ServeAsync(int port)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
            var app = builder.Build();
            app.Run(context => context.Response.WriteAsync("hello from the backend"));
            await app.RunAsync();
        }

        public void Dispose()
        {
            _process.Kill();
            _process.Dispose();
        }
    }

    /// <summary>
    /// The floor of the platform: two chained Kestrel proxies in this process forwarding with the
    /// mesh's own HTTP/1.1 client, and nothing else — no listener lookup, identity, routing,
    /// balancing, circuit breaking, retries or telemetry. What the mesh costs beyond it is what
    /// its rules cost.
    /// </summary>
    private sealed class KestrelChain : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly Http1ConnectionPools _clients;

        private KestrelChain(WebApplication app, Http1ConnectionPools clients, Uri address) => (_app, _clients, Address) = (app, clients, address);

        public Uri Address { get; }

        public static async Task<KestrelChain> StartAsync(Uri backend)
        {
            var (first, second) = (Tools.FreePort(), Tools.FreePort());
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Listen(IPAddress.Loopback, first);
                kestrel.Listen(IPAddress.Loopback, second);
            });
            var app = builder.Build();
            var clients = new Http1ConnectionPools(new UpstreamConnector(new PeerRegistry(), TimeProvider.System), TimeProvider.System);
            var next = new Uri($"http://127.0.0.1:{second}/");
            app.Run(async context =>
            {
                var upstream = context.Connection.LocalPort == first ? next : backend;
                using var request = HttpProxy.CreateRequest(context, UpstreamBody.None, attempt: null);
                using var response = await clients.SendAsync(new UpstreamTarget(null, upstream), request, context.RequestAborted);
                await HttpProxy.CopyResponseAsync(context, response, context.RequestAborted);
            });
            await app.StartAsync();
            return new KestrelChain(app, clients, new Uri($"http://127.0.0.1:{first}/"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.DisposeAsync();
            _clients.Dispose();
        }
    }

    /// <summary>
    /// nginx as two chained reverse proxies in front of <paramref name="backend"/>, keep-alive
    /// upstreams as Envoy's; with <paramref name="tls"/>, mutual TLS between the two
    /// (<c>proxy_ssl</c>, sessions reused). WebSocket upgrades pass as nginx's documentation shows.
    /// </summary>
    internal static string NginxHttp(PeerFolder folder, Uri backend, bool tls) => $$"""
        http {
            {{PeerProxy.NginxHttpSettings(folder, backend)}}
            map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
            server {
                listen 127.0.0.1:{{folder.First}};
                location / {
                    proxy_pass {{(tls ? "https" : "http")}}://second;
                    proxy_http_version 1.1;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection $connection_upgrade;
                    {{(tls ? $"proxy_ssl_certificate {folder.File("first.pem")}; proxy_ssl_certificate_key {folder.File("first.key")}; proxy_ssl_trusted_certificate {folder.File("ca.pem")}; proxy_ssl_verify on; proxy_ssl_name second; proxy_ssl_protocols TLSv1.3; proxy_ssl_session_reuse on;" : "")}}
                }
            }
            server {
                listen 127.0.0.1:{{folder.Second}}{{(tls ? " ssl" : "")}};
                {{(tls ? $"ssl_certificate {folder.File("second.pem")}; ssl_certificate_key {folder.File("second.key")}; ssl_client_certificate {folder.File("ca.pem")}; ssl_verify_client on; ssl_protocols TLSv1.3; ssl_session_cache shared:tls:10m;" : "")}}
                location / {
                    proxy_pass http://backend;
                    proxy_http_version 1.1;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection $connection_upgrade;
                }
            }
        }
        """;
}

/// <summary>Processor time (user and system) of processes, read from <c>/proc</c>.</summary>
internal static class CpuTime
{
    public static TimeSpan OfThisProcess()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    public static TimeSpan Of(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.TotalProcessorTime;
        }
        catch (ArgumentException)
        {
            return TimeSpan.Zero; // it ended meanwhile
        }
    }

    public static TimeSpan OfChildren(int parent) => ChildrenOf(parent).Aggregate(TimeSpan.Zero, (total, pid) => total + Of(pid));

    public static IReadOnlyList<int> ChildrenOf(int parent) => [.. Directory.EnumerateDirectories("/proc")
        .Select(directory => int.TryParse(Path.GetFileName(directory), out var pid) ? pid : 0)
        .Where(pid => pid > 0 && ParentOf(pid) == parent)];

    /// <summary>The fourth field of <c>/proc/&lt;pid&gt;/stat</c>, after the command name in parentheses.</summary>
    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0; // it ended meanwhile
        }
    }
}

/// <summary>Outside tools: installed from Debian when missing, run with their output captured.</summary>
internal static class Tools
{
    /// <summary>The Debian package each command comes in, where its name differs.</summary>
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["h2load"] = "nghttp2-client",
        ["redis-benchmark"] = "redis-tools",
    };

    public static void Require(params string[] commands)
    {
        var missing = commands.Where(command => !OnPath(command)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var packages = string.Join(' ', missing.Select(command => Packages.GetValueOrDefault(command, command)).Distinct());
        Console.Error.WriteLine($"Installing {packages} from Debian (for {string.Join(", ", missing)})…");
        var install = Process.Start("bash", ["-c", $"(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {packages}) >/dev/null"])!;
        install.WaitForExit();
        if (missing.Where(command => !OnPath(command)).ToList() is { Count: > 0 } still)
        {
            throw new InvalidOperationException($"{string.Join(", ", still)} could not be installed (apt-get install -y {packages}; root needed).");
        }
    }

    /// <summary>Installs <paramref name="package"/> from Debian when <paramref name="file"/> is missing (e.g. an nginx module).</summary>
    public static void RequireFile(string file, string package)
    {
        if (File.Exists(file))
        {
            return;
        }

        Console.Error.WriteLine($"Installing {package} from Debian (for {file})…");
        Process.Start("bash", ["-c", $"(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package}) >/dev/null"])!.WaitForExit();
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"{file} is missing and {package} could not be installed (apt-get install -y {package}; root needed).");
        }
    }

    public static async Task<string> RunAsync(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await output + await errors;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static void WaitForPort(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        throw new TimeoutException($"Nothing listened on port {port} within 30 s.");
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(directory => File.Exists(Path.Combine(directory, command)));
}

/// <summary>What processes have spent: processor time (user and system) and context switches (voluntary and not, every thread's).</summary>
internal readonly record struct Usage(TimeSpan Processor, long ContextSwitches)
{
    public static Usage operator -(Usage after, Usage before) => new(after.Processor - before.Processor, after.ContextSwitches - before.ContextSwitches);

    public static Usage OfThisProcess() => Of([Environment.ProcessId]);

    public static Usage Of(IEnumerable<int> pids) => pids.Aggregate(default(Usage), (total, pid) => new(total.Processor + CpuTime.Of(pid), total.ContextSwitches + Switches(pid)));

    private static long Switches(int pid)
    {
        try
        {
            return Directory.GetDirectories($"/proc/{pid}/task").Sum(ThreadSwitches);
        }
        catch (IOException)
        {
            return 0; // it ended meanwhile
        }

        static long ThreadSwitches(string task)
        {
            try
            {
                return File.ReadAllLines(Path.Combine(task, "status"))
                    .Where(line => line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    .Sum(line => long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                return 0; // the thread ended meanwhile
            }
        }
    }
}
