using System.Collections.Immutable;
using System.Diagnostics;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Serverless;

namespace LocalMesh.Bench;

/// <summary>
/// A function's cold start and warm latency, as a caller in the mesh sees them: the sample's
/// sentiment function behind a fresh mesh at zero instances, called through the caller's
/// outbound sidecar and the activator. Each round starts from zero (a new mesh), times the first
/// request (process start included), then times warm requests to the same instance.
/// </summary>
internal static class ColdStartBenchmark
{
    private const string Area = "Cold start";
    private const double TargetMilliseconds = 500;

    public static async Task<IReadOnlyList<Row>> RunAsync(int rounds, int warmRequests)
    {
        var executable = SentimentExecutable();
        var cold = new List<double>();
        var warm = new List<double>();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        for (var round = 0; round <= rounds; round++)
        {
            var revision = new WorkloadConfig("sentiment-00001", "sentiment",
                ImmutableDictionary<string, string>.Empty.Add("app", "sentiment"), "sentiment", 1)
            {
                Scaling = new FunctionScaling { InitialScale = 0 },
            };
            var config = new MeshConfig
            {
                Services = [new MeshServiceConfig("caller"), new MeshServiceConfig("sentiment")],
                Workloads = [revision, new WorkloadConfig("caller", "caller", ImmutableDictionary<string, string>.Empty.Add("app", "caller"), "caller", 0)],
                Listeners = [ListenerConfig.Inbound(revision.Name, 0), ListenerConfig.Outbound("caller", "sentiment")],
            };
            var launcher = new ProcessFunctionLauncher((_, _) => ValueTask.FromResult(StartInfo(executable)));
            await using var server = await MeshServer.StartAsync(config, new MeshServerOptions { FunctionLauncher = launcher });
            var target = server.Addresses["outbound|caller|sentiment"];

            var first = await TimeAsync(client, target);
            if (round == 0)
            {
                continue; // the first round warms the disk cache and the client, as the bench's warm-up
            }

            cold.Add(first);
            for (var i = 0; i < warmRequests; i++)
            {
                warm.Add(await TimeAsync(client, target));
            }
        }

        return
        [
            Row.AtMost(Area, $"first request after scale to zero, p50 of {rounds}", Percentiles.Median(cold), TargetMilliseconds, "ms"),
            new(Area, $"first request after scale to zero, p95 of {rounds}", Row.Format(Percentiles.Of(cold, 95), "ms")),
            new(Area, $"warm request, p50 of {warm.Count}", Row.Format(Percentiles.Median(warm), "ms")),
            new(Area, $"warm request, p95 of {warm.Count}", Row.Format(Percentiles.Of(warm, 95), "ms")),
        ];
    }

    private static async Task<double> TimeAsync(HttpClient client, Uri target)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await client.PostAsync(target, new StringContent("""{"text":"a great and entertaining play"}""", System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static ProcessStartInfo StartInfo(string executable)
    {
        var info = new ProcessStartInfo(executable) { WorkingDirectory = Path.GetDirectoryName(executable) };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return info;
    }

    /// <summary>The sentiment sample as this bench was built (same configuration), its native launcher.</summary>
    private static string SentimentExecutable()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var path = Path.Combine(Repository.Root, "samples", "Sentiment", "bin", configuration, "net10.0", OperatingSystem.IsWindows() ? "Sentiment.exe" : "Sentiment");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The sentiment sample is not built at {path}; build the bench project (it builds the sample).");
    }
}
