using System.Diagnostics;
using System.Text.Json;
using LocalMesh.Emulator.Telemetry;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// The sample's gRPC traffic: productpage's one channel to inventory (v1 with two replicas, v2)
/// through both sidecars, its scenarios, and what the mesh records of each call.
/// </summary>
[Collection(SampleAppCollection.Name)]
public sealed class GrpcTrafficTests(SampleAppFixture fixture)
{
    [Fact]
    public async Task ProductpagesOneChannelReachesEveryInventoryReplica()
    {
        using var client = fixture.CreateIngressClient();
        var servedBy = new HashSet<string>();
        for (var load = 0; load < 12 && servedBy.Count < 3; load++)
        {
            using var product = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products/0"));
            servedBy.Add(product.RootElement.GetProperty("stock").GetProperty("servedBy").GetString()!);
        }

        // One HTTP/2 connection from productpage to its sidecar, yet each call went to the next replica: two of v1, one of v2.
        Assert.Equal(3, servedBy.Count);
        Assert.Equal(2, servedBy.Count(name => name.StartsWith("inventory-v1-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AServerStreamArrivesWholeThroughBothSidecars()
    {
        using var client = fixture.CreateIngressClient();

        using var updates = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products/0/stock/updates?updates=4"));

        var counts = updates.RootElement.EnumerateArray().Select(update => update.GetProperty("available").GetInt32()).ToList();
        Assert.Equal(4, counts.Count);
        Assert.Equal(Enumerable.Range(0, 4).Select(sold => counts[0] - sold), counts);
    }

    [Fact]
    public async Task EachCallIsASpanWithItsRpcAndGrpcStatus()
    {
        var requestId = Guid.NewGuid().ToString();

        await fixture.LoadPageAsync(null, requestId);

        var calls = await fixture.WaitForSpansAsync(requestId, span => Tag(span, MeshTelemetry.Attributes.DestinationService) == "inventory", 2);
        Assert.Equal(2, calls.Count);
        Assert.All(calls, span =>
        {
            Assert.Equal("0", Tag(span, MeshTelemetry.Attributes.GrpcResponseStatus));
            Assert.Equal("grpc", Tag(span, MeshTelemetry.Attributes.RequestProtocol));
        });
        // The callee's sidecar names the call with OpenTelemetry's RPC attributes; the caller's with
        // Envoy's, so the dashboard keeps the hop's name ("productpage-v1 → inventory") as the title.
        var server = Assert.Single(calls, span => span.Kind == ActivityKind.Server);
        Assert.Equal(("grpc", "bookinfo.inventory.Inventory", "GetStock", "0"), (Tag(server, "rpc.system"), Tag(server, "rpc.service"), Tag(server, "rpc.method"), Tag(server, "rpc.grpc.status_code")));
        var client = Assert.Single(calls, span => span.Kind == ActivityKind.Client);
        Assert.Equal(("/bookinfo.inventory.Inventory/GetStock", "0"), (Tag(client, "grpc.path"), Tag(client, "grpc.status_code")));
        Assert.Null(client.GetTagItem("rpc.system"));
    }

    [Fact]
    public async Task TrafficShiftingSendsJasonToV2AndSplitsTheRest80To20()
    {
        using var _ = fixture.UseScenario("inventory-80-20");

        for (var load = 0; load < 3; load++)
        {
            Assert.Contains("Stock served by: inventory-v2-", await fixture.LoadPageAsync("jason"));
        }

        using var client = fixture.CreateIngressClient();
        var v2 = 0;
        const int Loads = 40;
        for (var load = 0; load < Loads; load++)
        {
            using var product = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products/0"));
            v2 += product.RootElement.GetProperty("stock").GetProperty("servedBy").GetString()!.StartsWith("inventory-v2-", StringComparison.Ordinal) ? 1 : 0;
        }

        // 20% of 40 is 8; a binomial count outside 1..20 has a chance below one in a million.
        Assert.InRange(v2, 1, 20);
    }

    [Fact]
    public async Task AGrpcAbortShowsStockUnavailableAtOnceWhileTheStreamStillWorks()
    {
        using var _ = fixture.UseScenario("inventory-abort");
        var requestId = Guid.NewGuid().ToString();

        var stopwatch = Stopwatch.StartNew();
        var html = await fixture.LoadPageAsync(null, requestId);
        stopwatch.Stop();

        Assert.Contains("Stock is currently unavailable for this book. (Unavailable: fault filter abort)", html);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"The page took {stopwatch.Elapsed}; an abort answers at once.");
        var aborted = await fixture.WaitForSpansAsync(requestId, span =>
            Tag(span, "reporter") == "source" && Tag(span, MeshTelemetry.Attributes.DestinationService) == "inventory", 1);
        // Envoy's local reply to a gRPC caller: HTTP 200, the status in grpc-status (14, UNAVAILABLE).
        Assert.All(aborted, span => Assert.Equal(("200", "FI", "14"), (Tag(span, "response_code"), Tag(span, "response_flags"), Tag(span, MeshTelemetry.Attributes.GrpcResponseStatus))));

        // The route aborts GetStock only: WatchStock's stream is served.
        using var client = fixture.CreateIngressClient();
        using var updates = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products/0/stock/updates?updates=2"));
        Assert.Equal(2, updates.RootElement.GetArrayLength());
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();
}
