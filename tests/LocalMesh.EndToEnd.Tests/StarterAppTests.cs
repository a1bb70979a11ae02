using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
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
    public async Task TheFrontEndsCallsGoThroughBothSidecarsWithMutualTlsAreReportedSpreadOverTheReplicasAndMeetTheMeshsFaults()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        // The AppHost, and so the data plane, runs in this process: its spans and Istio's metrics are read here.
        var spans = new ConcurrentQueue<Activity>();
        using var spanListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MeshTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(spanListener);
        var requests = new ConcurrentQueue<(long Value, Dictionary<string, object?> Tags)>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MeshTelemetry.SourceName && instrument.Name == MeshTelemetry.RequestsTotal)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meterListener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            requests.Enqueue((value, tags.ToArray().ToDictionary(tag => tag.Key, tag => tag.Value))));
        meterListener.Start();

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StarterApp_AppHost>(cancellation.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        // Kubernetes' first crash back-off is 10 s; the test does not wait that long.
        builder.Configuration["LocalMesh:RestartBackoff"] = "00:00:01";
        await using var app = await builder.BuildAsync(cancellation.Token);
        await app.StartAsync(cancellation.Token);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        await notifications.WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);
        await notifications.WaitForResourceHealthyAsync("webfrontend", cancellation.Token);
        // The front end's external endpoint, as the dashboard links it: the ingress gateway's port for it.
        var shown = await notifications.WaitForResourceAsync("webfrontend", resource => resource.Snapshot.Urls.Any(IsGateway), cancellation.Token);
        var gateway = shown.Snapshot.Urls.Single(IsGateway);
        // The direct addresses stay on the details page only, said to bypass the mesh.
        Assert.All(shown.Snapshot.Urls.Where(url => !IsGateway(url)), url => Assert.True(url.IsInternal, $"{url.Url} is shown beside the gateway's."));
        using var client = new HttpClient { BaseAddress = new Uri(gateway.Url), Timeout = TimeSpan.FromSeconds(30) };

        // Each call: the front end's outbound sidecar, mutual TLS, the API's inbound sidecar, which names both identities.
        var replicas = new HashSet<string>();
        for (var call = 0; call < 30; call++)
        {
            using var answer = JsonDocument.Parse(await client.GetStringAsync("/weather", cancellation.Token));
            Assert.Equal("By=spiffe://cluster.local/ns/default/sa/apiservice;URI=spiffe://cluster.local/ns/default/sa/webfrontend",
                answer.RootElement.GetProperty("caller").GetString());
            replicas.Add(answer.RootElement.GetProperty("replica").GetString()!);
        }

        string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();

        // The browser's first hop is the mesh's too: the gateway reports each call to the front end.
        Assert.True(spans.Count(span => Tag(span, MeshTelemetry.Attributes.SourceWorkload) == MeshConfig.IstioIngressGateway
            && Tag(span, MeshTelemetry.Attributes.DestinationWorkload) == "webfrontend" && Tag(span, MeshTelemetry.Attributes.Reporter) == "destination") >= 30,
            "The front end's inbound sidecar reported fewer than 30 calls from the ingress gateway.");

        // Balanced per request over every replica (Istio's LEAST_REQUEST; 30 calls miss one of three with odds of 1 in 60,000).
        Assert.Equal(3, replicas.Count);

        // Both sidecars report each call, as Istio's do: a client span and istio_requests_total from the caller's side, a server span from the callee's.
        bool FromWeb(Activity span) => Tag(span, MeshTelemetry.Attributes.SourceWorkload) == "webfrontend";
        Assert.True(spans.Count(span => FromWeb(span) && Tag(span, MeshTelemetry.Attributes.Reporter) == "source") >= 30, "The front end's outbound sidecar reported fewer than 30 calls.");
        Assert.True(spans.Count(span => FromWeb(span) && Tag(span, MeshTelemetry.Attributes.Reporter) == "destination"
            && Tag(span, MeshTelemetry.Attributes.DestinationWorkload) == "apiservice") >= 30, "The API's inbound sidecars reported fewer than 30 calls.");
        Assert.True(requests.Where(request => request.Tags.GetValueOrDefault(MeshTelemetry.Attributes.SourceWorkload) as string == "webfrontend"
            && request.Tags.GetValueOrDefault(MeshTelemetry.Attributes.Reporter) as string == "source"
            && request.Tags.GetValueOrDefault(MeshTelemetry.Attributes.ResponseCode)?.ToString() == "200").Sum(request => request.Value) >= 30,
            "istio_requests_total counts fewer than 30 calls from the front end.");

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

        // A replica that crashes (killed outright) comes back, as a Deployment's pod would.
        // A replicated resource is waited for by its replicas' events (each has its own resource id).
        var victim = await FirstAsync(notifications, resource => resource.Resource.Name == "apiservice"
            && resource.Snapshot.State?.Text == KnownResourceStates.Running && Pid(resource) is not null, cancellation.Token);
        // The orchestrator's process id may be a launcher whose child is the application: the application is what crashes.
        var application = Children(Pid(victim)!.Value).DefaultIfEmpty(Pid(victim)!.Value).Last();
        using (var process = Process.GetProcessById(application))
        {
            process.Kill();
        }

        var restarted = await FirstAsync(notifications, resource => resource.ResourceId == victim.ResourceId
            && resource.Snapshot.State?.Text == KnownResourceStates.Running && Pid(resource) is { } pid && pid != Pid(victim), cancellation.Token);
        Assert.Contains(restarted.Snapshot.Properties, property => property.Name == "mesh.restarts" && property.Value?.ToString()?.StartsWith("1 ", StringComparison.Ordinal) == true);

        await app.StopAsync(cancellation.Token);
    }

    /// <summary>The first event, current states included, that <paramref name="predicate"/> accepts; cancelled by the test's cap.</summary>
    private static async Task<ResourceEvent> FirstAsync(ResourceNotificationService notifications, Func<ResourceEvent, bool> predicate, CancellationToken cancellationToken)
    {
        await foreach (var resource in notifications.WatchAsync(cancellationToken))
        {
            if (predicate(resource))
            {
                return resource;
            }
        }

        throw new OperationCanceledException(cancellationToken);
    }

    /// <summary>The processes <paramref name="process"/> started, and those they started, depth first.</summary>
    private static IEnumerable<int> Children(int process) =>
        Directory.GetDirectories($"/proc/{process}/task")
            .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(int.Parse)
            .SelectMany(child => Children(child).Prepend(child));

    private static int? Pid(ResourceEvent resource) =>
        resource.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value is { } value && int.TryParse(value.ToString(), out var pid) ? pid : null;

    [Fact]
    public async Task WithoutSidecarOnTheApiMakesTheFrontEndsCallsDirectAgain()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StarterApp_AppHost>(cancellation.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.CreateResourceBuilder<ProjectResource>("apiservice").WithoutSidecar();
        await using var app = await builder.BuildAsync(cancellation.Token);
        await app.StartAsync(cancellation.Token);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        await notifications.WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);
        await notifications.WaitForResourceHealthyAsync("webfrontend", cancellation.Token);

        Assert.DoesNotContain(app.GetMesh().Config.Listeners, listener => listener.Kind == ListenerKind.Outbound);
        using var client = new HttpClient { BaseAddress = app.GetEndpoint("webfrontend", "http"), Timeout = TimeSpan.FromSeconds(30) };
        using var answer = JsonDocument.Parse(await client.GetStringAsync("/weather", cancellation.Token));
        // Straight to the API (through Aspire's own proxy): no sidecar forwarded a client certificate.
        Assert.Equal("", answer.RootElement.GetProperty("caller").GetString());

        await app.StopAsync(cancellation.Token);
    }

    private static bool IsGateway(UrlSnapshot url) => url.DisplayProperties.DisplayName.EndsWith("(ingress gateway)", StringComparison.Ordinal);
}
