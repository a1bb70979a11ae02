using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The sample with no traffic rules: every call goes through the mesh, spread over every replica.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class MeshPathTests(SampleAppFixture fixture)
{
    private static readonly TimeSpan SpanWait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ProductPageAnswersThroughTheIngressWithDetailsAndReviews()
    {
        using var client = fixture.CreateIngressClient();

        var html = await client.GetStringAsync("/productpage");

        Assert.Contains("The Comedy of Errors", html);
        Assert.Contains("<dl id=\"details\">", html);
        Assert.Contains("Reviews served by: reviews-v", html);
        Assert.DoesNotContain("unavailable", html);
    }

    [Fact]
    public async Task AWebSocketEntersThroughTheGatewayAndEachMessageCallsThroughTheMesh()
    {
        using var client = new System.Net.WebSockets.ClientWebSocket();
        var requestId = Guid.NewGuid().ToString();
        client.Options.SetRequestHeader("x-request-id", requestId);
        using var cap = new CancellationTokenSource(SpanWait);

        await client.ConnectAsync(new UriBuilder(fixture.Ingress) { Scheme = "ws", Path = "/api/v1/products/0/live" }.Uri, cap.Token);
        for (var message = 0; message < 2; message++)
        {
            await client.SendAsync("refresh"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, cap.Token);
            var buffer = new byte[64 * 1024];
            var received = await client.ReceiveAsync(buffer, cap.Token);
            using var product = JsonDocument.Parse(buffer.AsMemory(0, received.Count));
            Assert.StartsWith("reviews-v", product.RootElement.GetProperty("reviews").GetProperty("podname").GetString(), StringComparison.Ordinal);
        }

        await client.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", cap.Token);

        // The gateway's and productpage's inbound sidecar's spans cover the connection: a 101 that ended when it closed.
        var upgrade = await fixture.WaitForSpansAsync(requestId, span => span.GetTagItem(MeshTelemetry.Attributes.ResponseCode) is 101, 2);
        Assert.Contains(upgrade, span => span.GetTagItem(MeshTelemetry.Attributes.SourceWorkload) as string == "ingress");
    }

    [Fact]
    public async Task EveryServiceCallGoesThroughTheCallersOutboundAndTheCalleesInboundSidecar()
    {
        using var client = fixture.CreateIngressClient();
        // Load until one page used ratings too (reviews v2 or v3), so every hop of the sample is seen.
        for (var load = 0; load < 8; load++)
        {
            var requestId = Guid.NewGuid().ToString();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/productpage");
            request.Headers.Add("x-request-id", requestId);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var servedBy = (await response.Content.ReadAsStringAsync()).Contains("data-color=") ? "ratings" : null;

            // ingress, productpage in; productpage → details, reviews and inventory (gRPC) out, in; (reviews → ratings out, in).
            var expectedHops = servedBy is null ? 8 : 10;
            var spans = await fixture.Spans.ForRequestAsync(requestId, expectedHops);

            Assert.Single(spans.Select(span => span.TraceId).Distinct());
            var ingress = Assert.Single(spans, span => Tag(span, "listener") == "ingress|ingress");
            Assert.Equal("productpage", Tag(ingress, MeshTelemetry.Attributes.DestinationService));
            Assert.Equal("productpage-v1", Tag(ingress, MeshTelemetry.Attributes.DestinationWorkload));
            // The browser sent no trace context: the trace starts at the gateway.
            Assert.Equal(default, ingress.ParentSpanId);
            AssertHop(spans, "ingress", "productpage", ingress);
            AssertHop(spans, "productpage-v1", "details", parentOfOutbound: null);
            AssertHop(spans, "productpage-v1", "reviews", parentOfOutbound: null);
            AssertHop(spans, "productpage-v1", "inventory", parentOfOutbound: null);
            if (servedBy is not null)
            {
                var reviews = Assert.Single(spans, span => Tag(span, "listener")!.StartsWith("inbound|reviews-", StringComparison.Ordinal));
                AssertHop(spans, reviews.GetTagItem(MeshTelemetry.Attributes.DestinationWorkload)!.ToString()!, "ratings", parentOfOutbound: null);
                return;
            }
        }

        Assert.Fail("Eight page loads never reached reviews v2 or v3, so round robin is not spreading the load.");
    }

    [Fact]
    public async Task RoundRobinReachesEveryVersionAndEveryReplicaOfReviews()
    {
        using var client = fixture.CreateIngressClient();
        var podNames = new HashSet<string>();
        var versions = new HashSet<string>();

        for (var load = 0; load < 30; load++)
        {
            using var product = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products/0"));
            var reviews = product.RootElement.GetProperty("reviews");
            podNames.Add(reviews.GetProperty("podname").GetString()!);
            versions.Add(reviews.GetProperty("version").GetString()!);
        }

        Assert.Equal(["v1", "v2", "v3"], versions.Order());
        // reviews-v1 runs two replicas (WithReplicas(2)); each is a process of its own.
        Assert.Equal(4, podNames.Count);
        Assert.Equal(2, podNames.Count(name => name.StartsWith("reviews-v1-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task IstioRequestsTotalCountsEachCallOnceAtTheSourceAndOnceAtTheDestination()
    {
        // This test's page loads are one trace (W3C traceparent, carried by every hop): a count is
        // this test's when the span current as the sidecar counts it is of that trace, so a request
        // of another test still finishing its last hop is not counted.
        var trace = ActivityTraceId.CreateRandom();
        var counts = new Dictionary<(string Reporter, string Source, string Destination, string Code), long>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MeshTelemetry.SourceName && instrument.Name == MeshTelemetry.RequestsTotal)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (Activity.Current?.TraceId != trace)
            {
                return;
            }

            var tag = tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString() ?? "");
            var key = (tag["reporter"], tag["source_workload"], tag["destination_service_name"], tag["response_code"]);
            lock (counts)
            {
                counts[key] = counts.GetValueOrDefault(key) + value;
            }
        });
        meters.Start();

        using var client = fixture.CreateIngressClient();
        for (var load = 0; load < 4; load++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/productpage");
            request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
            (await client.SendAsync(request)).EnsureSuccessStatusCode();
        }

        // The inbound sidecar finishes its count before the outbound one; wait (capped) for the outbound ones.
        await Eventually.TrueAsync(() => Count("source", "productpage-v1", "details") >= 4 && Count("source", "productpage-v1", "reviews") >= 4, SpanWait);

        Assert.Equal(4, Count("source", "productpage-v1", "details"));
        Assert.Equal(4, Count("destination", "productpage-v1", "details"));
        Assert.Equal(4, Count("source", "productpage-v1", "reviews"));
        Assert.Equal(4, Count("destination", "productpage-v1", "reviews"));
        Assert.Equal(4, Count("source", "ingress", "productpage"));

        long Count(string reporter, string source, string destination)
        {
            lock (counts)
            {
                return counts.GetValueOrDefault((reporter, source, destination, "200"));
            }
        }
    }

    [Fact]
    public void TheDashboardShowsEachMeshServiceRunningWithItsEndpointsAndTheIngressWithItsUrl()
    {
        var notifications = fixture.App.Services.GetRequiredService<ResourceNotificationService>();

        Assert.True(notifications.TryGetCurrentState("reviews", out var reviews));
        Assert.Equal(KnownResourceStates.Running, reviews.Snapshot.State?.Text);
        Assert.Equal("4/4", reviews.Snapshot.Properties.Single(p => p.Name == "mesh.endpoints.ready").Value);
        Assert.Contains("productpage-v1 via 127.0.0.1:", reviews.Snapshot.Properties.Single(p => p.Name == "mesh.callers").Value?.ToString());

        Assert.True(notifications.TryGetCurrentState("ingress", out var ingress));
        Assert.Equal(KnownResourceStates.Running, ingress.Snapshot.State?.Text);
        Assert.Equal(new Uri(fixture.Ingress, "/productpage").ToString(), ingress.Snapshot.Urls.Single().Url);

        Assert.True(notifications.TryGetCurrentState("mesh", out var mesh));
        Assert.Equal(KnownResourceStates.Running, mesh.Snapshot.State?.Text);
    }

    [Fact]
    public void EveryMeshListenerIsOnLoopback()
    {
        var server = fixture.App.GetMesh().Server;

        Assert.NotEmpty(server.Addresses);
        Assert.All(server.Addresses.Values, address => Assert.Equal("127.0.0.1", address.Host));
    }

    /// <summary>
    /// Asserts that a call from <paramref name="source"/> to <paramref name="service"/> left
    /// through the source's outbound listener (or the gateway) and arrived through an inbound
    /// listener whose span is the outbound span's child and which knew the caller.
    /// </summary>
    private static void AssertHop(IReadOnlyList<Activity> spans, string source, string service, Activity? parentOfOutbound)
    {
        var outbound = Assert.Single(spans, span =>
            Tag(span, "reporter") == "source" && Tag(span, "source_workload") == source && Tag(span, "destination_service_name") == service);
        Assert.Equal(ActivityKind.Client, outbound.Kind);
        if (parentOfOutbound is not null)
        {
            Assert.Same(parentOfOutbound, outbound);
        }

        var inbound = Assert.Single(spans, span => span.ParentSpanId == outbound.SpanId && Tag(span, "reporter") == "destination");
        Assert.Equal(ActivityKind.Server, inbound.Kind);
        Assert.Equal(source, Tag(inbound, "source_workload"));
        Assert.Equal(Tag(outbound, "destination_workload"), Tag(inbound, "destination_workload"));
        Assert.Equal("200", Tag(inbound, "response_code"));
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();
}
