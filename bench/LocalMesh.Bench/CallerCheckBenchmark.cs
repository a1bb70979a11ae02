using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Bench;

/// <summary>
/// What an outbound sidecar's check that a new connection comes from its workload's process costs:
/// requests each on a new connection through a caller's outbound sidecar, with the check (the
/// caller's process registered) and without it, alternating; the difference of the medians is the
/// check's cost per new connection. Keep-alive connections are checked once, so requests on them
/// pay nothing.
/// </summary>
internal static class CallerCheckBenchmark
{
    private const string Area = "Outbound caller check";

    public static async Task<IReadOnlyList<Row>> RunAsync(int connections)
    {
        var backend = WebApplication.CreateSlimBuilder();
        backend.Logging.ClearProviders();
        backend.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        await using var application = backend.Build();
        application.Run(context => context.Response.WriteAsync("ok"));
        await application.StartAsync();

        var labels = ImmutableDictionary<string, string>.Empty;
        var config = new MeshConfig
        {
            Services = [new MeshServiceConfig("caller"), new MeshServiceConfig("backend")],
            Workloads = [new WorkloadConfig("caller", "caller", labels.Add("app", "caller"), "caller", 1), new WorkloadConfig("backend", "backend", labels.Add("app", "backend"), "backend", 1)],
            Listeners = [ListenerConfig.Inbound("caller", 0), ListenerConfig.Inbound("backend", 0), ListenerConfig.Outbound("caller", "backend")],
        };
        await using var server = await MeshServer.StartAsync(config);
        server.State.SetApplication("backend", 0, new Uri(application.Urls.Single()));
        var target = server.Addresses["outbound|caller|backend"];

        var checkedTimes = new List<double>();
        var uncheckedTimes = new List<double>();
        for (var i = 0; i < connections * 2 + 100; i++)
        {
            var check = i % 2 == 0;
            server.CallerProcesses.Set("caller", 0, check ? Environment.ProcessId : null);
            // A new client, so a new connection: its first request pays for the check.
            using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero });
            var stopwatch = Stopwatch.StartNew();
            using var response = await client.GetAsync(target);
            stopwatch.Stop();
            response.EnsureSuccessStatusCode();
            if (i >= 100)
            {
                (check ? checkedTimes : uncheckedTimes).Add(stopwatch.Elapsed.TotalMicroseconds);
            }
        }

        var cost = Percentiles.Median(checkedTimes) - Percentiles.Median(uncheckedTimes);
        return
        [
            new(Area, $"new connection and first request, without the check, p50 of {uncheckedTimes.Count}", Row.Format(Percentiles.Median(uncheckedTimes), "µs")),
            new(Area, $"new connection and first request, with the check (socket diagnostics, then the workload's {Directory.GetFiles("/proc/self/fd").Length} descriptors), p50 of {checkedTimes.Count}", Row.Format(Percentiles.Median(checkedTimes), "µs")),
            // No target: the cost grows with the descriptors the calling process holds (about 10 µs each to read), and is paid once per connection.
            new(Area, "the check's cost per new connection (difference of the medians)", Row.Format(Math.Max(cost, 0), "µs")),
        ];
    }
}
