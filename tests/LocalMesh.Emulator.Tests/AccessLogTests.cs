using System.Text.Json;
using System.Text.RegularExpressions;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// Each sidecar writes one access-log line a request, in Istio's default format, to the log of the
/// workload it belongs to (both sidecars of a call: the caller's outbound, the callee's inbound).
/// </summary>
public sealed class AccessLogTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    /// <summary>Istio's default text format, field by field.</summary>
    private static readonly Regex IstioText = new(
        @"^\[(?<start>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\] ""(?<method>\S+) (?<path>\S+) (?<protocol>HTTP/1\.1)"" (?<code>\d+) (?<flags>\S+) (?<details>\S+) - ""-"" (?<received>\d+) (?<sent>\d+) (?<duration>\d+) - ""-"" ""(?<agent>[^""]*)"" ""(?<id>[^""]+)"" ""(?<authority>[^""]+)"" ""(?<upstream>[^""]+)"" (?<cluster>\S+) - (?<local>\S+) (?<remote>\S+) - (?<route>\S+)$");

    [Fact]
    public async Task BothSidecarsOfACallWriteALineInIstiosFormatToTheirWorkloadsLog()
    {
        var (logs, lines) = await CallAsync(MeshFixtures.CallerAndBackend(), "/reviews/0?x=1");

        var outbound = IstioText.Match(Assert.Single(lines("caller")));
        var inbound = IstioText.Match(Assert.Single(lines("backend-v1").Concat(lines("backend-v2"))));
        Assert.True(outbound.Success && inbound.Success, string.Join(Environment.NewLine, logs.Entries.Select(e => e.Message)));
        foreach (var line in new[] { outbound, inbound })
        {
            Assert.Equal(("GET", "/reviews/0?x=1", "200", "-", "via_upstream", "test-agent"),
                (line.Groups["method"].Value, line.Groups["path"].Value, line.Groups["code"].Value, line.Groups["flags"].Value, line.Groups["details"].Value, line.Groups["agent"].Value));
        }

        Assert.Equal(outbound.Groups["id"].Value, inbound.Groups["id"].Value);
        Assert.StartsWith("outbound|", outbound.Groups["cluster"].Value, StringComparison.Ordinal);
        Assert.StartsWith("inbound|backend-v", inbound.Groups["cluster"].Value, StringComparison.Ordinal);
        // Access logs are never mesh-wide lines: the host shows each with its workload only.
        Assert.DoesNotContain(logs.Entries, entry => entry.Category == MeshLogCategories.Mesh && entry.Message.Contains("/reviews/0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task JsonEncodingWritesIstiosFieldNamesAndNoneWritesNothing()
    {
        var (_, json) = await CallAsync(MeshFixtures.CallerAndBackend() with { AccessLog = AccessLogEncoding.Json }, "/");
        using var line = JsonDocument.Parse(Assert.Single(json("caller")));
        Assert.Equal(200, line.RootElement.GetProperty("response_code").GetInt32());
        Assert.Equal("GET", line.RootElement.GetProperty("method").GetString());
        Assert.Equal(JsonValueKind.Null, line.RootElement.GetProperty("upstream_service_time").ValueKind);

        var (_, none) = await CallAsync(MeshFixtures.CallerAndBackend() with { AccessLog = null }, "/");
        Assert.Empty(none("caller"));
    }

    [Fact]
    public async Task ALocalReplySaysWhyInTheDetails()
    {
        var config = MeshFixtures.CallerAndBackend();
        config = config with
        {
            Services = [.. config.Services.Select(service => service.Name == "backend"
                ? service with { Http = [new HttpRoute { Route = [new HttpRouteDestination(new Destination("backend"))], Fault = new HttpFaultInjection { Abort = new FaultAbort(503, 100) } }] }
                : service)],
        };

        var (_, lines) = await CallAsync(config, "/");

        var line = IstioText.Match(Assert.Single(lines("caller")));
        Assert.Equal(("503", "FI", "fault_filter_abort"), (line.Groups["code"].Value, line.Groups["flags"].Value, line.Groups["details"].Value));
    }

    /// <summary>One GET through the caller's outbound sidecar; then each workload's access-log lines.</summary>
    private static async Task<(RecordingLoggerProvider Logs, Func<string, IReadOnlyList<string>> Lines)> CallAsync(MeshConfig config, string path)
    {
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(logs));
        await using (var server = await MeshServer.StartAsync(config, new MeshServerOptions { LoggerFactory = loggerFactory }))
        await using (var backend = await TestBackend.StartAsync("backend"))
        {
            foreach (var (workload, replica) in new[] { ("caller", 0), ("backend-v1", 0), ("backend-v1", 1), ("backend-v2", 0) })
            {
                server.State.SetApplication(workload, replica, backend.Address);
            }

            using var client = new HttpClient { Timeout = Cap };
            client.DefaultRequestHeaders.UserAgent.ParseAdd("test-agent");
            using var response = await client.GetAsync(new Uri(server.Addresses["outbound|caller|backend"], path));
        }

        return (logs, workload => [.. logs.Entries.Where(entry => entry.Category == MeshLogCategories.AccessLog(workload)).Select(entry => entry.Message)]);
    }

    [Fact]
    public void AnEncodingIstioDoesNotKnowIsAnErrorNamingTheField()
    {
        var config = MeshFixtures.CallerAndBackend() with { AccessLog = (AccessLogEncoding)7 };

        var error = Assert.Throws<MeshConfigException>(() => new MeshState(config));

        Assert.Contains("accessLogEncoding: is 7, which Istio does not know.", error.Message, StringComparison.Ordinal);
    }
}
