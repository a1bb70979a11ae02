using System.Diagnostics;
using System.Net;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>What a person sees of the mesh in the dashboard and the sample's page, on the shared sample app.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class DashboardTests(SampleAppFixture fixture)
{
    private ResourceNotificationService Notifications => fixture.App.Services.GetRequiredService<ResourceNotificationService>();

    [Fact]
    public void TheMeshIsRunningAndSaysHowLongItTookToBeReady()
    {
        var mesh = State("mesh");

        Assert.Equal(KnownResourceStates.Running, mesh.State?.Text);
        var ready = Property(mesh, "mesh.ready");
        Assert.Matches(@"^in \d+ s$", ready.Value as string);
        Assert.True(ready.IsHighlighted);
    }

    [Fact]
    public async Task TheMeshsOwnLogsAreOnTheMeshAndAFunctionsScaleDecisionsOnTheFunction()
    {
        var mesh = await LogsAsync("mesh");
        Assert.Contains(mesh, line => line.Contains("LocalMesh ready in ", StringComparison.Ordinal));
        Assert.Contains(mesh, line => line.Contains("Differs from Knative: functions:", StringComparison.Ordinal));
        Assert.DoesNotContain(mesh, line => line.Contains("Request starting", StringComparison.Ordinal));

        // Each function starts one instance with the app (initial-scale) and says so on its own log.
        var sentiment = await LogsAsync("sentiment");
        Assert.Contains(sentiment, line => line.Contains("sentiment-00001: scale up from 0 to 1 instances: initial-scale", StringComparison.Ordinal));
        Assert.DoesNotContain(mesh, line => line.Contains("scale up", StringComparison.Ordinal));
    }

    [Fact]
    public void AMeshServiceShowsItsEndpointsRoutesAndPoliciesWithoutShowAll()
    {
        var reviews = State("reviews");

        var shown = reviews.Properties.Where(p => p.IsHighlighted).ToDictionary(p => p.Name);
        foreach (var name in new[] { "mesh.endpoints", "mesh.routes", "mesh.callers", "mesh.loadBalancer", "mesh.faults", "mesh.mtls", "mesh.ejected" })
        {
            Assert.True(shown.ContainsKey(name), $"{name} is not shown at once");
            Assert.False(string.IsNullOrEmpty(shown[name].DisplayName));
        }

        Assert.Contains("reviews-v2/0 (v2)", (string)shown["mesh.endpoints"].Value!);
        Assert.Contains("productpage-v1 via 127.0.0.1:", (string)shown["mesh.callers"].Value!);
        Assert.Equal("ROUND_ROBIN", shown["mesh.loadBalancer"].Value);
    }

    [Fact]
    public void EveryWorkloadIsLinkedToItsMeshServiceInTheGraph()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var (workload, service) in new[] { ("reviews-v1", "reviews"), ("reviews-v3", "reviews"), ("productpage-v1", "productpage"), ("ratings-v1", "ratings") })
        {
            var resource = model.Resources.Single(r => r.Name == workload);
            Assert.Contains(resource.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource.Name == service);
        }
    }

    [Fact]
    public async Task OutboundSidecarSpansAreNamedByTheHopAndNotRetitledByTheDashboard()
    {
        var requestId = Guid.NewGuid().ToString();
        await fixture.LoadPageAsync(null, requestId);

        var outbound = Assert.Single(await fixture.WaitForSpansAsync(requestId, span => span.Kind == ActivityKind.Client && span.DisplayName.EndsWith("→ reviews", StringComparison.Ordinal), 1));
        Assert.Equal("productpage-v1 → reviews", outbound.DisplayName);
        // The dashboard titles a client span that carries OpenTelemetry's HTTP attributes "HTTP GET 200".
        Assert.Null(outbound.GetTagItem("http.request.method"));
        Assert.Equal("GET", outbound.GetTagItem("request.method"));
        Assert.Equal(200, outbound.GetTagItem(MeshTelemetry.Attributes.ResponseCode));
    }

    [Fact]
    public async Task TheProductPageIsUtf8StyledByItsOwnStylesheetAndAnswersHead()
    {
        using var client = fixture.CreateIngressClient();

        // Stars come from reviews v2 and v3: the sample balances round robin over reviews' four replicas, so one lap finds them.
        var html = "";
        for (var load = 0; load < 4 && !html.Contains('★'); load++)
        {
            using var page = await client.GetAsync("/productpage?user=jason");
            Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType?.ToString());
            html = await page.Content.ReadAsStringAsync();
        }

        Assert.Contains("<meta charset=\"utf-8\">", html);
        Assert.Contains("★", html);
        Assert.Contains("<link rel=\"stylesheet\" href=\"/static/bookinfo.css\">", html);

        using var stylesheet = await client.GetAsync("/static/bookinfo.css");
        Assert.Equal(HttpStatusCode.OK, stylesheet.StatusCode);
        Assert.Equal("text/css", stylesheet.Content.Headers.ContentType?.MediaType);

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/productpage"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    private CustomResourceSnapshot State(string resource) =>
        Notifications.TryGetCurrentState(resource, out var state) ? state.Snapshot : throw new InvalidOperationException($"{resource} has no state.");

    private static ResourcePropertySnapshot Property(CustomResourceSnapshot snapshot, string name) =>
        snapshot.Properties.SingleOrDefault(p => p.Name == name) ?? throw new InvalidOperationException($"no property {name}");

    /// <summary>Every line of the resource's console log in the dashboard so far.</summary>
    private async Task<List<string>> LogsAsync(string resource)
    {
        var lines = new List<string>();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var batch in fixture.App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource).WithCancellation(cancellation.Token))
        {
            lines.AddRange(batch.Select(line => line.Content));
        }

        return lines;
    }
}
