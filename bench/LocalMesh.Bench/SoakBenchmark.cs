using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Bench;

/// <summary>
/// The mesh left running under moderate load while faults come and go: a caller's outbound
/// sidecar, mutual TLS, three backend replicas (each in its own process) behind outlier detection
/// and Istio's default retries. Every minute an abort (503 to 20% of requests) or a delay (50 ms
/// to 20%) is injected for 30 s, then cleared. Reports the requests lost to anything but the
/// injected faults (target 0) and the growth of this process's memory (mesh and load client) from
/// the first minute to the last (target under 5%).
/// </summary>
internal static class SoakBenchmark
{
    private const string Area = "Soak";
    private const int Clients = 8;
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(25); // per client: about 300 requests/s in all

    public static async Task<IReadOnlyList<Row>> RunAsync(TimeSpan duration)
    {
        var backends = Enumerable.Range(0, 3).Select(_ => RequestPathBenchmark.Backend.Start()).ToList();
        try
        {
            var config = Config();
            await using var server = await MeshServer.StartAsync(config);
            for (var replica = 0; replica < backends.Count; replica++)
            {
                server.State.SetApplication("backend-v1", replica, backends[replica].Address);
            }

            var target = server.Addresses["outbound|caller-v1|backend"];
            using var stop = new CancellationTokenSource(duration);
            var counts = new ConcurrentDictionary<string, long>();
            var load = Enumerable.Range(0, Clients).Select(_ => LoadAsync(target, counts, stop.Token)).ToList();

            var memory = new List<double>();
            var faults = 0;
            for (var minute = 0; !stop.IsCancellationRequested; minute++)
            {
                memory.Add(ResidentMegabytes());
                var fault = minute % 2 == 0
                    ? new HttpFaultInjection { Abort = new FaultAbort(503, 20) }
                    : new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromMilliseconds(50), 20) };
                server.State.SetConfig(WithFault(config, fault));
                faults++;
                await Wait(TimeSpan.FromSeconds(30), stop.Token);
                server.State.SetConfig(config);
                await Wait(TimeSpan.FromSeconds(30), stop.Token);
            }

            await Task.WhenAll(load);
            memory.Add(ResidentMegabytes());
            var lost = counts.Where(pair => pair.Key is not ("200" or "injected")).Sum(pair => pair.Value);
            var total = counts.Values.Sum();
            var growth = (memory[^1] - memory[Math.Min(1, memory.Count - 1)]) / memory[Math.Min(1, memory.Count - 1)] * 100;
            return
            [
                new(Area, $"requests over {duration.TotalMinutes:0} min, {faults} faults injected and cleared ({string.Join(", ", counts.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key}: {pair.Value:N0}"))})", total.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)),
                new(Area, "requests lost to anything but the injected faults", lost.ToString(System.Globalization.CultureInfo.InvariantCulture), "0", lost == 0 ? "met" : "missed"),
                new(Area, $"resident memory, first minute → end ({memory[Math.Min(1, memory.Count - 1)]:0} → {memory[^1]:0} MB)", Row.Format(growth, "%")),
                Row.AtMost(Area, "resident memory growth", Math.Max(growth, 0), 5, "%"),
            ];
        }
        finally
        {
            backends.ForEach(backend => backend.Dispose());
        }
    }

    /// <summary>One client: a request every <see cref="Pace"/>, each outcome counted by status (an injected abort as <c>injected</c>).</summary>
    private static async Task LoadAsync(Uri target, ConcurrentDictionary<string, long> counts, CancellationToken stop)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        while (!stop.IsCancellationRequested)
        {
            string outcome;
            try
            {
                using var response = await client.GetAsync(target, CancellationToken.None);
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                outcome = response.StatusCode == HttpStatusCode.ServiceUnavailable && body == "fault filter abort"
                    ? "injected"
                    : ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                outcome = ex.GetType().Name;
            }

            counts.AddOrUpdate(outcome, 1, (_, count) => count + 1);
            await Wait(Pace, stop);
        }
    }

    private static MeshConfig Config() => new()
    {
        Services =
        [
            new MeshServiceConfig("caller"),
            new MeshServiceConfig("backend")
            {
                DestinationRule = new DestinationRule { TrafficPolicy = new TrafficPolicy { OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 5 } } },
            },
        ],
        Workloads =
        [
            new WorkloadConfig("caller-v1", "caller", ImmutableDictionary<string, string>.Empty.Add("app", "caller"), "caller-v1", 0),
            new WorkloadConfig("backend-v1", "backend", ImmutableDictionary<string, string>.Empty.Add("app", "backend"), "backend-v1", 3),
        ],
        Listeners = [.. Enumerable.Range(0, 3).Select(replica => ListenerConfig.Inbound("backend-v1", replica)), ListenerConfig.Outbound("caller-v1", "backend")],
        PeerAuthentications = [new PeerAuthentication("default", MutualTlsMode.Strict)],
    };

    private static MeshConfig WithFault(MeshConfig config, HttpFaultInjection fault) => config with
    {
        Services = [.. config.Services.Select(service => service.Name == "backend"
            ? service with { Http = [new HttpRoute { Fault = fault, Route = [new HttpRouteDestination(new Destination("backend"))] }] }
            : service)],
    };

    private static double ResidentMegabytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1024.0 / 1024.0;
    }

    private static async Task Wait(TimeSpan time, CancellationToken stop)
    {
        try
        {
            await Task.Delay(time, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
