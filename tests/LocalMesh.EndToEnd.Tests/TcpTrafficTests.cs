using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using LocalMesh.Emulator.Telemetry;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The sample's TCP traffic: details reads redis-cache (Garnet, over RESP) through TCP sidecars.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class TcpTrafficTests(SampleAppFixture fixture)
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task DetailsReadsItsCacheThroughBothTcpSidecarsOverMutualTls()
    {
        // The first read of a book may fill the cache; the next is served from it.
        await DetailsCacheAsync();
        Assert.Equal("hit", await DetailsCacheAsync());

        // Its connections were opened by details' outbound sidecar and taken by the cache's inbound sidecar over mutual TLS.
        using var client = new HttpClient { Timeout = Cap };
        var metrics = await client.GetStringAsync(fixture.App.GetMesh().Server.MetricsAddress);
        var opened = new Regex("""^istio_tcp_connections_opened_total\{[^}]*destination_workload="redis-cache-v1"[^}]*reporter="destination"[^}]*source_workload="details-v1"[^}]*\} [1-9]""", RegexOptions.Multiline).Match(metrics).Value;
        foreach (var label in new[]
        {
            "connection_security_policy=\"mutual_tls\"", "request_protocol=\"tcp\"", "response_flags=\"-\"", "destination_service=\"redis-cache.default.svc.cluster.local\"",
            "destination_version=\"v1\"", "source_principal=\"spiffe://cluster.local/ns/default/sa/bookinfo-details\"", "destination_principal=\"spiffe://cluster.local/ns/default/sa/bookinfo-redis-cache\"",
        })
        {
            Assert.Contains(label, opened, StringComparison.Ordinal);
        }

        Assert.Matches(new Regex("""^istio_tcp_connections_opened_total\{[^}]*reporter="source"[^}]*source_workload="details-v1"[^}]*\} [1-9]""", RegexOptions.Multiline), metrics);
    }

    [Fact]
    public async Task ADenyPolicyOnTheCachesPortClosesDetailsConnectionsAndThePageStillLoads()
    {
        Assert.NotEqual("unavailable", await EventuallyAsync(outcome => outcome is "hit" or "miss"));
        using (fixture.UseScenario("cache-deny"))
        {
            // The open connections the policy now denies are closed; the ones the client opens again are refused.
            Assert.Equal("unavailable", await EventuallyAsync(outcome => outcome == "unavailable"));
            var html = await fixture.LoadPageAsync(null);
            Assert.Contains("<dl id=\"details\">", html);
            Assert.Contains("Details cache: unavailable", html);
            // Each refused connection is a span of the cache's inbound sidecar saying which policy denied it.
            var denied = await fixture.Spans.WaitForAsync(span => span.Kind == ActivityKind.Server
                && Tag(span, MeshTelemetry.Attributes.DestinationService) == "redis-cache" && span.StatusDescription is { } status && status.Contains("redis-cache-deny-details", StringComparison.Ordinal), 1);
            Assert.Equal("cluster.local/ns/default/sa/bookinfo-details", Tag(denied[0], MeshTelemetry.Attributes.SourcePrincipal));
        }

        Assert.NotEqual("unavailable", await EventuallyAsync(outcome => outcome is "hit" or "miss"));
    }

    private async Task<string> DetailsCacheAsync()
    {
        using var client = fixture.CreateIngressClient();
        using var product = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products/0"));
        return product.RootElement.GetProperty("details").GetProperty("cache").GetString()!;
    }

    /// <summary>Loads until the cache's outcome satisfies <paramref name="expected"/>; fails past the cap.</summary>
    private Task<string> EventuallyAsync(Func<string, bool> expected) => Eventually.ValueAsync(DetailsCacheAsync, expected, Cap);

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();
}
