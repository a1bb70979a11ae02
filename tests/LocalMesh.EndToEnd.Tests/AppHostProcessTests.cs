using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The AppHost as a user runs it: a real process, started with a scenario, stopped with SIGTERM.</summary>
public sealed partial class AppHostProcessTests
{
    [System.Text.RegularExpressions.GeneratedRegex(@"/AppHost(\.dll)?( |$)")]
    private static partial System.Text.RegularExpressions.Regex AppHostCommand();

    [Fact]
    public async Task TheScenarioSwitchAppliesItsRoutesAndOnSigtermEveryListenerAndChildProcessIsGone()
    {
        var startedAt = DateTime.UtcNow;
        var ingressPort = FreePort();
        var start = Repository.AppHost($"--IngressPort={ingressPort}", "--scenario", "reviews-v3");
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["ASPNETCORE_URLS"] = $"http://localhost:{FreePort()}";
        start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{FreePort()}";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{FreePort()}";
        // A temporary folder of this run's own, so the key check below looks only at what this AppHost wrote.
        var temp = Directory.CreateTempSubdirectory("localmesh-apphost-test-");
        start.Environment["TMPDIR"] = temp.FullName;
        using var dotnetRun = Process.Start(start)!;
        var output = dotnetRun.StandardOutput.ReadToEndAsync();
        var errors = dotnetRun.StandardError.ReadToEndAsync();
        try
        {
            var page = new Uri($"http://127.0.0.1:{ingressPort}/productpage");
            if (!await WaitForPageAsync(page, TimeSpan.FromMinutes(3)))
            {
                dotnetRun.Kill(entireProcessTree: true);
                Assert.Fail($"{page} did not answer within 3 minutes. The AppHost wrote:\n{await output}\n{await errors}");
            }
            using (var client = new HttpClient())
            {
                for (var load = 0; load < 5; load++)
                {
                    // reviews-v3: every page shows v3's red stars.
                    Assert.Contains("data-color=\"red\"", await client.GetStringAsync(page));
                }
            }

            var appHost = Processes.Descendants(dotnetRun.Id).Single(p => AppHostCommand().IsMatch(Processes.CommandLine(p)));
            // DCP detaches from the AppHost (its parent becomes init) and watches it with --monitor.
            var dcp = Processes.All().Where(p => Processes.CommandLine(p).Contains($"--monitor {appHost} ", StringComparison.Ordinal));
            var tree = dcp.SelectMany(p => Processes.Descendants(p).Append(p))
                .Concat(Processes.Descendants(dotnetRun.Id)).Append(dotnetRun.Id).ToHashSet();
            Assert.Contains(tree, p => Processes.CommandLine(p).Contains("samples/Ratings", StringComparison.Ordinal));
            var listeners = Sockets.Listeners().Where(l => tree.Contains(l.Pid)).ToList();
            Assert.Contains(listeners, l => l.Port == ingressPort);
            Assert.All(listeners, l => Assert.True(IPAddress.IsLoopback(l.Address), $"pid {l.Pid} listens on {l.Address}:{l.Port}"));

            Process.Start("kill", ["-TERM", appHost.ToString()])!.WaitForExit();

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await dotnetRun.WaitForExitAsync(exit.Token);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (tree.Any(Processes.IsAlive) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            Assert.Empty(tree.Where(Processes.IsAlive).Select(pid => $"{pid}: {Processes.CommandLine(pid)}"));
            // No socket of theirs lives on in another process (one that inherited it); another
            // program may meanwhile listen on a port they used, with a socket of its own.
            Assert.DoesNotContain(Sockets.Listeners(), l => listeners.Any(before => before.Inode == l.Inode));

            // The mesh's CA and workload keys lived in memory only.
            // .NET keeps X509 stores under ~/.dotnet/corefx; the AppHost's temporary folder and its own
            // folder (its working directory) are where anything else would land.
            Assert.Empty(KeyFilesWrittenSince(
                startedAt,
                temp.FullName,
                Path.Combine(Repository.Root, "AppHost"),
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "corefx")));
        }
        finally
        {
            if (!dotnetRun.HasExited)
            {
                dotnetRun.Kill(entireProcessTree: true);
            }

            temp.Delete(recursive: true);
        }

        // The console says when the app is ready and where to go, and nothing per request.
        var console = await output;
        Assert.Matches($@"LocalMesh ready in \d+ s: http://localhost:{ingressPort}/productpage", console);
        Assert.DoesNotContain("Request starting", console);
        Assert.DoesNotContain("Request finished", console);
    }

    [Fact]
    public async Task AnInvalidModelStopsTheAppHostWithEveryProblemListedAndExitCode1()
    {
        var (exitCode, errors) = await RunToExitAsync("--scenario", "broken-routes");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("The mesh model has 3 problems; nothing was started:", errors.Trim());
        Assert.Contains("reviews: http[0].match[0].uri: regex", errors);
        Assert.Contains("reviews: http[0].route[0].destination.subset: 'v4' is not a subset of 'reviews'. Fix: use one of: v1, v2, v3, or declare it in the DestinationRule of 'reviews' (in C#: .WithSubset(\"v4\")).", errors);
        Assert.Contains("reviews: http[1].route: has weights that are all 0", errors);
        Assert.DoesNotContain("   at ", errors);
    }

    [Fact]
    public async Task AGatewayPortAnotherProgramHoldsStopsTheAppHostWithOneMessageAndExitCode1()
    {
        // Another program (or another run of the app) on the gateway's port.
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var (exitCode, errors) = await RunToExitAsync($"--IngressPort={port}");

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"The mesh could not open its listeners: Failed to bind to address http://127.0.0.1:{port}: address already in use.", errors.Trim());
        Assert.Contains($"Its fixed ports: port {port} (ingress gateway 'ingress'). Stop whatever holds the port", errors);
        Assert.DoesNotContain("   at ", errors);
    }

    [Fact]
    public async Task AnIstioFileWithThreeMistakesStopsTheAppHostWithEachAtItsLineAndExitCode1()
    {
        var folder = Directory.CreateTempSubdirectory("localmesh-bad-yaml-");
        try
        {
            var file = Path.Combine(folder.FullName, "reviews.yaml");
            File.WriteAllText(file, """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: reviews
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews}
                      weight: fifty
                    timeout: 2 seconds
                    retrys: {attempts: 2}
                """.ReplaceLineEndings("\n"));

            var (exitCode, errors) = await RunToExitAsync("--mesh-config", file);

            Assert.Equal(1, exitCode);
            var lines = errors.Trim().Split('\n');
            Assert.Equal("The mesh model has 3 problems; nothing was started:", lines[0]);
            Assert.StartsWith($"  - {file}:10:15 VirtualService default/reviews: spec.http[0].route[0].weight: expected a whole number, found 'fifty'.", lines[1]);
            Assert.StartsWith($"  - {file}:11:5 VirtualService default/reviews: spec.http[0].timeout: '2 seconds' is not a duration.", lines[2]);
            Assert.StartsWith($"  - {file}:12:5 VirtualService default/reviews: spec.http[0].retrys: unknown field 'retrys'.", lines[3]);
            Assert.DoesNotContain("   at ", errors);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task TheMeshCheckStepPrintsEveryFindingWithoutStartingAndExitsWith1OnlyOnAnError()
    {
        var folder = Directory.CreateTempSubdirectory("localmesh-check-");
        try
        {
            var good = Path.Combine(Repository.Root, "samples", "istio");
            var (exitCode, _, output) = await RunToExitWithOutputAsync("--operation", "publish", "--step", "mesh-check", "--mesh-config", good);
            Assert.Equal(0, exitCode);
            Assert.Contains("mesh-check: no errors, 0 warning(s)", output);

            var file = Path.Combine(folder.FullName, "ratings.yaml");
            File.WriteAllText(file, """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata:
                  name: ratings
                spec:
                  host: ratings
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v2-mysql, labels: {version: v2-mysql}}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: ratings
                spec:
                  hosts: [ratings]
                  http:
                  - route:
                    - destination: {host: ratings, subset: v9}
                """.ReplaceLineEndings("\n"));

            (exitCode, _, output) = await RunToExitWithOutputAsync("--operation", "publish", "--step", "mesh-check", "--mesh-config", file);
            Assert.Equal(1, exitCode);
            Assert.Contains($"{file}:9:22 IST0173 DestinationRule default/ratings: spec.subsets[1].labels: subset 'v2-mysql' selects no workload", output);
            Assert.Contains($"{file}:19:36 VirtualService default/ratings: spec.http[0].route[0].destination.subset: 'v9' is not a subset of 'ratings'.", output);
            Assert.DoesNotContain("LocalMesh ready", output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AnUnknownScenarioListsTheKnownOnesAndExitsWithCode2()
    {
        var (exitCode, errors) = await RunToExitAsync("--scenario", "reviews-v9");

        Assert.Equal(2, exitCode);
        Assert.Contains("Unknown scenario 'reviews-v9'", errors);
        Assert.Contains("reviews-v2-for-jason", errors);
    }

    /// <summary>Files written since <paramref name="since"/> that hold a private key (PEM or PKCS#12).</summary>
    private static List<string> KeyFilesWrittenSince(DateTime since, params string[] roots)
    {
        var found = new List<string>();
        var pending = new Stack<DirectoryInfo>(roots.Where(Directory.Exists).Select(root => new DirectoryInfo(root)));
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        while (pending.TryPop(out var directory))
        {
            // Build output and packages hold no keys of ours.
            foreach (var child in directory.EnumerateDirectories("*", options).Where(d => d.Name is not ("bin" or "obj" or "node_modules" or ".git")))
            {
                pending.Push(child);
            }

            found.AddRange(directory.EnumerateFiles("*", options)
                // Length > 0 also leaves out pipes and sockets, which would block a read.
                .Where(file => file.LastWriteTimeUtc >= since && file.Length is > 0 and < 1_000_000)
                .Where(file => file.Extension is ".pfx" or ".p12" or ".key" || ContainsPrivateKey(file))
                .Select(file => file.FullName));
        }

        return found;
    }

    private static bool ContainsPrivateKey(FileInfo file)
    {
        try
        {
            return File.ReadAllText(file.FullName).Contains("PRIVATE KEY-----", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task<(int ExitCode, string Errors)> RunToExitAsync(params string[] args)
    {
        var (exitCode, errors, _) = await RunToExitWithOutputAsync(args);
        return (exitCode, errors);
    }

    private static async Task<(int ExitCode, string Errors, string Output)> RunToExitWithOutputAsync(params string[] args)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var process = Process.Start(Repository.AppHost(args))!;
        var output = process.StandardOutput.ReadToEndAsync(cancellation.Token);
        var errors = await process.StandardError.ReadToEndAsync(cancellation.Token);
        await process.WaitForExitAsync(cancellation.Token);
        return (process.ExitCode, errors, await output);
    }

    /// <summary>Waits until the page answers whole (reviews and ratings), i.e. every workload on its path is ready.</summary>
    private static async Task<bool> WaitForPageAsync(Uri page, TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(page);
                var html = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK && html.Contains("Reviews served by", StringComparison.Ordinal) && !html.Contains("unavailable", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not up yet.
            }

            await Task.Delay(500);
        }

        return false;
    }

    /// <summary>
    /// A free port below the system's ephemeral range: the AppHost binds it a minute later, and a
    /// port the system hands out meanwhile as the local end of some connection (any process's)
    /// could not be bound then.
    /// </summary>
    private static readonly HashSet<int> Handed = [];

    private static int FreePort()
    {
        var ephemeralStart = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        // Above the ports tools default to (5000, 8080, 9080, 15888, 18888, ...).
        var first = Random.Shared.Next(20_000, Math.Max(20_001, ephemeralStart - 1_000));
        for (var port = first; port < ephemeralStart; port++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                if (Handed.Add(port))
                {
                    return port;
                }
            }
            catch (SocketException)
            {
                // Taken: try the next one.
            }
        }

        // Nothing below the ephemeral range: take one the system gives and hope it stays free.
        using var any = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        any.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)any.LocalEndPoint!).Port;
    }
}

/// <summary>Listening TCP sockets and their owners, from <c>ss</c>.</summary>
internal static class Sockets
{
    /// <param name="Inode">The socket's inode: the same socket whichever process holds it now.</param>
    public sealed record Listener(IPAddress Address, int Port, int Pid, long Inode);

    public static IReadOnlyList<Listener> Listeners()
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", "-ltnpeH") { RedirectStandardOutput = true })!;
        var output = ss.StandardOutput.ReadToEnd();
        ss.WaitForExit();
        var listeners = new List<Listener>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // State Recv-Q Send-Q Local:Port Peer:Port Process
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var local = fields[3];
            var colon = local.LastIndexOf(':');
            var host = local[..colon].Trim('[', ']');
            var address = host == "*" ? IPAddress.IPv6Any : IPAddress.Parse(host.Split('%')[0]);
            var port = int.Parse(local[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            var inode = long.Parse(System.Text.RegularExpressions.Regex.Match(line, @"ino:(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            foreach (var pid in System.Text.RegularExpressions.Regex.Matches(line, @"pid=(\d+)").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            {
                listeners.Add(new Listener(address, port, pid, inode));
            }
        }

        return listeners;
    }
}
