using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Bench;

/// <summary>
/// The AppHost itself: its memory with 10 and 50 mesh services (a generated model, `sleep`
/// workloads so the AppHost's own memory is what grows), from which the cost of one sidecar
/// listener is derived, beside the same topology served by the data plane alone; and its time to
/// ready (every workload healthy; with the mesh, its ready signal), with and without the mesh, for
/// the same app of sample services.
/// </summary>
internal static class AppHostBenchmark
{
    private const string Memory = "Memory";
    private const string Startup = "Start-up";

    public static async Task<IReadOnlyList<Row>> MemoryAsync()
    {
        var rss = new Dictionary<(int Services, bool Mesh), double>();
        foreach (var services in new[] { 10, 50 })
        {
            foreach (var mesh in new[] { false, true })
            {
                var run = await RunAsync(services, mesh, "sleep", measureMemory: true);
                rss[(services, mesh)] = run.RssMegabytes;
            }
        }

        // Each service has an inbound sidecar and a service address, and calls the next one (an outbound sidecar).
        static int Listeners(int services) => (3 * services) - 1;
        var meshAt10 = rss[(10, true)] - rss[(10, false)];
        var meshAt50 = rss[(50, true)] - rss[(50, false)];
        var perListener = (meshAt50 - meshAt10) / (Listeners(50) - Listeners(10));
        var (dataPlaneAt10, dataPlaneAt50) = (await DataPlaneMegabytesAsync(10), await DataPlaneMegabytesAsync(50));
        return
        [
            new(Memory, "AppHost RSS, 10 services: with mesh / without", $"{Row.Format(rss[(10, true)], "MB")} / {Row.Format(rss[(10, false)], "MB")}"),
            new(Memory, "AppHost RSS, 50 services: with mesh / without", $"{Row.Format(rss[(50, true)], "MB")} / {Row.Format(rss[(50, false)], "MB")}"),
            Row.AtMost(Memory, $"per sidecar listener (mesh's share, {Listeners(10)} → {Listeners(50)} listeners)", perListener, 2, "MB"),
            new(Memory, $"the data plane alone, {Listeners(10)} / {Listeners(50)} listeners: RSS", $"{Row.Format(dataPlaneAt10, "MB")} / {Row.Format(dataPlaneAt50, "MB")}"),
            new(Memory, "per sidecar listener, the data plane alone", Row.Format((dataPlaneAt50 - dataPlaneAt10) / (Listeners(50) - Listeners(10)), "MB")),
        ];
    }

    /// <summary>
    /// The same topology served by the data plane alone, without Aspire: this program started as
    /// <c>dataplane &lt;services&gt;</c> in a process of its own, which prints its resident memory once
    /// every listener is bound and the heap has settled.
    /// </summary>
    private static async Task<double> DataPlaneMegabytesAsync(int services)
    {
        var output = await Tools.RunAsync(Environment.ProcessPath!, "dataplane", services.ToString(CultureInfo.InvariantCulture));
        return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The data plane with <paramref name="services"/> services as the bench AppHost models them
    /// (each with an inbound sidecar and a service address, calling the next one), started,
    /// settled, and measured; prints the resident memory in MB.
    /// </summary>
    public static async Task ServeDataPlaneAsync(int services)
    {
        var names = Enumerable.Range(0, services).Select(i => $"service-{i}").ToList();
        var config = new MeshConfig
        {
            Services = [.. names.Select(name => new MeshServiceConfig(name))],
            Workloads = [.. names.Select(name => new WorkloadConfig($"{name}-v1", name, ImmutableDictionary<string, string>.Empty.Add("app", name), $"{name}-v1", 1))],
            Listeners =
            [
                .. names.Select(name => ListenerConfig.Inbound($"{name}-v1", 0)),
                .. names.Select(ListenerConfig.ForService),
                .. names.Skip(1).Select((name, i) => ListenerConfig.Outbound($"{names[i]}-v1", name)),
            ],
        };
        await using var server = await MeshServer.StartAsync(config);
        await Task.Delay(TimeSpan.FromSeconds(3));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Console.WriteLine(ResidentMegabytes(Environment.ProcessId).ToString(CultureInfo.InvariantCulture));
    }

    public static async Task<IReadOnlyList<Row>> StartupAsync(int rounds)
    {
        var with = new List<double>();
        var without = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            without.Add((await RunAsync(5, mesh: false, "project", measureMemory: false)).ReadyMilliseconds);
            with.Add((await RunAsync(5, mesh: true, "project", measureMemory: false)).ReadyMilliseconds);
        }

        var (withMesh, withoutMesh) = (Percentiles.Median(with), Percentiles.Median(without));
        return
        [
            new(Startup, $"5 sample services to ready (all healthy), without the mesh (median of {rounds})", Row.Format(withoutMesh / 1000, "s")),
            new(Startup, $"5 sample services to ready (the mesh's ready signal), with the mesh (median of {rounds})", Row.Format(withMesh / 1000, "s")),
            Row.AtMost(Startup, "what the mesh adds to time-to-ready", (withMesh / withoutMesh - 1) * 100, 10, "%"),
        ];
    }

    private static async Task<(double ReadyMilliseconds, double RssMegabytes)> RunAsync(int services, bool mesh, string workload, bool measureMemory)
    {
        Console.Error.WriteLine($"  AppHost with {services} {workload} services, mesh {(mesh ? "on" : "off")}…");
        var start = new ProcessStartInfo("dotnet", [AppHostPath(), "--services", services.ToString(CultureInfo.InvariantCulture), "--mesh", mesh ? "true" : "false", "--workload", workload])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(AppHostPath()),
        };
        // The AppHost's launch profile, as the sample's: plain HTTP, no development certificate.
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = $"http://localhost:{Tools.FreePort()}";
        start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{Tools.FreePort()}";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{Tools.FreePort()}";

        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    var ready = stopwatch.Elapsed.TotalMilliseconds;
                    var rss = 0.0;
                    if (measureMemory)
                    {
                        // Let the mesh and the dashboard settle, then read the AppHost's resident set.
                        await Task.Delay(TimeSpan.FromSeconds(5));
                        GC.KeepAlive(process);
                        rss = ResidentMegabytes(process.Id);
                    }

                    return (ready, rss);
                }
            }

            throw new InvalidOperationException("The bench AppHost exited before it was ready.");
        }
        finally
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            // DCP stops the workloads once the AppHost is gone; give it a moment before the next run.
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
    }

    private static double ResidentMegabytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    private static string AppHostPath()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var path = Path.Combine(Repository.Root, "bench", "LocalMesh.Bench.AppHost", "bin", configuration, "net10.0", "LocalMesh.Bench.AppHost.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The bench AppHost is not built at {path}; build the bench project (it builds it).");
    }
}
