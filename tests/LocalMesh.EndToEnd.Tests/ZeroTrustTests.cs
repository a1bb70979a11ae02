using System.Diagnostics;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>STRICT mTLS mesh-wide and a policy that lets only productpage call reviews, on the sample.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class ZeroTrustTests(SampleAppFixture fixture)
{
    [Fact]
    public async Task ThePageStillWorksAndAnotherCallerOfReviewsGets403WithTheReasonInItsSpan()
    {
        using var _ = fixture.UseScenario("strict-mtls");

        var page = await fixture.LoadPageAsync(null);
        Assert.Contains("Reviews served by: reviews-v", page);
        Assert.Contains("<dl id=\"details\">", page);
        // gRPC too: HTTP/2 between the sidecars over mutual TLS (ALPN h2).
        Assert.Contains("Stock served by: inventory-v", page);

        var codes = await fixture.RunLoadClientAsync("reviews", connections: 1, requests: 3);
        Assert.Equal(new Dictionary<int, int> { [403] = 3 }, codes);
        // The same client may still call details, which has no policy.
        Assert.Equal(new Dictionary<int, int> { [200] = 2 }, await fixture.RunLoadClientAsync("details", connections: 1, requests: 2));

        var denied = await fixture.Spans.WaitForAsync(span => span.Events.Any(e => e.Name == "rbac.denied"), 1);
        var inbound = denied.Last();
        Assert.Equal("cluster.local/ns/default/sa/loadclient-v1", inbound.GetTagItem(MeshTelemetry.Attributes.SourcePrincipal));
        Assert.Equal("reviews-viewer", inbound.Events.Single(e => e.Name == "rbac.denied").Tags.Single(t => t.Key == "policy").Value);
    }

    [Fact]
    public async Task UnderStrictACallerWithoutASidecarCannotReachReviewsAtAll()
    {
        using var _ = fixture.UseScenario("strict-mtls");
        using var client = new HttpClient();

        // The service's address outside the mesh has no identity, so its plaintext is refused.
        using var response = await client.GetAsync(new Uri(fixture.App.GetEndpoint("reviews", "http"), "/reviews/0"));

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task AProcessThatIsNotProductpageCannotBorrowItsOutboundSidecarAndItsIdentity()
    {
        using var _ = fixture.UseScenario("strict-mtls");
        var server = fixture.App.GetMesh().Server;
        var sidecar = server.Addresses["outbound|productpage-v1|reviews"];
        Assert.NotEmpty(server.CallerProcesses.Of("productpage-v1"));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // This test's process is not productpage: reset at the connection, before any request, so no 200 with productpage's identity.
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(sidecar, "/reviews/0")));

        Assert.Contains("reset", refused.InnerException?.Message ?? refused.Message, StringComparison.OrdinalIgnoreCase);
        // productpage itself still gets through its sidecar.
        Assert.Contains("Reviews served by: reviews-v", await fixture.LoadPageAsync(null));
    }

    [Fact]
    public async Task TheDashboardShowsEachServicesIdentityModeAndPolicies()
    {
        using var _ = fixture.UseScenario("strict-mtls");
        var notifications = fixture.App.Services.GetRequiredService<ResourceNotificationService>();
        using var cap = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var reviews = await notifications.WaitForResourceAsync("reviews",
            e => Property(e, "mesh.mtls") == "STRICT" && Property(e, "mesh.authorization")?.Contains("reviews-viewer (ALLOW)", StringComparison.Ordinal) == true,
            cap.Token);

        Assert.Contains("spiffe://cluster.local/ns/default/sa/bookinfo-reviews", Property(reviews, "mesh.identity"));
    }

    private static string? Property(ResourceEvent resource, string name) =>
        resource.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString();
}
