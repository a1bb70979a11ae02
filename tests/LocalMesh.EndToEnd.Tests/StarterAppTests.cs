using System.Net;
using System.Text.Json;
using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// An app shaped like Aspire's starter template (<c>tests/StarterApp</c>: a front end calling an
/// API with three replicas through <c>https+http://apiservice</c>), whose only LocalMesh line is
/// <c>WithAutomaticSidecars()</c>.
/// </summary>
public sealed class StarterAppTests
{
    [Fact]
    public async Task TheFrontEndsCallsGoThroughBothSidecarsWithMutualTlsSpreadOverTheReplicasAndMeetTheMeshsFaults()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StarterApp_AppHost>(cancellation.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        await using var app = await builder.BuildAsync(cancellation.Token);
        await app.StartAsync(cancellation.Token);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        await notifications.WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);
        await notifications.WaitForResourceHealthyAsync("webfrontend", cancellation.Token);
        using var client = new HttpClient { BaseAddress = app.GetEndpoint("webfrontend", "http"), Timeout = TimeSpan.FromSeconds(30) };

        // Each call: the front end's outbound sidecar, mutual TLS, the API's inbound sidecar, which names both identities.
        var replicas = new HashSet<string>();
        for (var call = 0; call < 30; call++)
        {
            using var answer = JsonDocument.Parse(await client.GetStringAsync("/weather", cancellation.Token));
            Assert.Equal("By=spiffe://cluster.local/ns/default/sa/apiservice;URI=spiffe://cluster.local/ns/default/sa/webfrontend",
                answer.RootElement.GetProperty("caller").GetString());
            replicas.Add(answer.RootElement.GetProperty("replica").GetString()!);
        }

        // Balanced per request over every replica (Istio's LEAST_REQUEST; 30 calls miss one of three with odds of 1 in 60,000).
        Assert.Equal(3, replicas.Count);

        // A fault injected from test code on the API is what the front end sees.
        app.GetMesh().SetFault("apiservice", new HttpFaultInjection { Abort = new FaultAbort(503, 100) });
        try
        {
            using var faulted = await client.GetAsync("/weather", cancellation.Token);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, faulted.StatusCode);
            Assert.Equal("fault filter abort", await faulted.Content.ReadAsStringAsync(cancellation.Token));
        }
        finally
        {
            app.GetMesh().ClearFaults();
        }

        // STRICT mutual TLS mesh-wide: the sidecars already speak it, so nothing breaks.
        app.GetMesh().Update(config => config with { PeerAuthentications = [new PeerAuthentication("default", MutualTlsMode.Strict)] });
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/weather", cancellation.Token)).StatusCode);

        await app.StopAsync(cancellation.Token);
    }
}
