// Written into the test project of an app made with Aspire's starter template (`dotnet new
// aspire-starter -t xUnit.net`) whose AppHost got LocalMesh from its package with one line
// (PackageTests does that), and run there with `dotnet test`: the checks a team would write.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Aspire.Hosting;
using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.Logging;

namespace Shop.Tests;

public class MeshTests
{
    [Fact]
    public async Task TheWeatherPageGoesThroughBothSidecarsToEveryReplicaAndMeetsTheMeshsRules()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        // The AppHost, and so the mesh, runs in this process: its spans and Istio's metrics are read here.
        var spans = new ConcurrentQueue<Activity>();
        using var spanListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "LocalMesh",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(spanListener);
        var requests = new ConcurrentQueue<(long Value, Dictionary<string, object?> Tags)>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "LocalMesh" && instrument.Name == "istio_requests_total")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meterListener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            requests.Enqueue((value, tags.ToArray().ToDictionary(tag => tag.Key, tag => tag.Value))));
        meterListener.Start();

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shop_AppHost>(cancellation.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        // Kubernetes' first crash back-off is 10 s; the test does not wait that long.
        builder.Configuration["LocalMesh:RestartBackoff"] = "00:00:01";
        await using var app = await builder.BuildAsync(cancellation.Token);
        await app.StartAsync(cancellation.Token);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        // Running once every replica serves and the front end's page has answered through the gateway.
        var mesh = await notifications.WaitForResourceAsync("mesh", resource => resource.Snapshot.State?.Text == KnownResourceStates.Running, cancellation.Token);
        // The mesh links the front end's external endpoint: the ingress gateway's port for it.
        var page = mesh.Snapshot.Urls.Single(url => url.Name == "webfrontend");
        using var client = new HttpClient { BaseAddress = new Uri(page.Url), Timeout = TimeSpan.FromSeconds(30) };

        // The template's page is output-cached for 5 s per URL: a query string of its own gives each load its call to the API.
        for (var call = 0; call < 30; call++)
        {
            using var response = await client.GetAsync($"/weather?load={call}", cancellation.Token);
            var html = await response.Content.ReadAsStringAsync(cancellation.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("<table", html);
        }

        string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();
        bool FromWeb(Activity span) => Tag(span, "source_workload") == "webfrontend";
        var outbound = spans.Where(span => FromWeb(span) && Tag(span, "reporter") == "source").ToList();
        var inbound = spans.Where(span => FromWeb(span) && Tag(span, "reporter") == "destination" && Tag(span, "destination_workload") == "apiservice").ToList();

        // The browser's first hop is the mesh's too: the front end's inbound sidecar reports each page from the ingress gateway.
        Assert.True(spans.Count(span => Tag(span, "source_workload") == "istio-ingressgateway" && Tag(span, "destination_workload") == "webfrontend"
            && Tag(span, "reporter") == "destination") >= 30, "The front end's inbound sidecar reported fewer than 30 pages from the ingress gateway.");
        // Both sidecars report each call, as Istio's do, in one trace: the template's ServiceDefaults carry traceparent.
        Assert.True(outbound.Count >= 30, "The front end's outbound sidecar reported fewer than 30 calls.");
        Assert.True(inbound.Count >= 30, "The API's inbound sidecars reported fewer than 30 calls.");
        Assert.All(inbound, span => Assert.Contains(outbound, caller => caller.TraceId == span.TraceId));
        // Over mutual TLS: the API's sidecar knows the front end by its SPIFFE identity.
        Assert.All(inbound, span => Assert.Equal("cluster.local/ns/default/sa/webfrontend", Tag(span, "source_principal")));
        // Balanced per request over every replica (Istio's LEAST_REQUEST; 30 calls miss one of three with odds of 1 in 60,000).
        Assert.Equal(3, outbound.Select(span => Tag(span, "upstream_endpoint")).Distinct().Count());
        Assert.True(requests.Where(request => request.Tags.GetValueOrDefault("source_workload") as string == "webfrontend"
            && request.Tags.GetValueOrDefault("reporter") as string == "source"
            && request.Tags.GetValueOrDefault("response_code")?.ToString() == "200").Sum(request => request.Value) >= 30,
            "istio_requests_total counts fewer than 30 calls from the front end.");

        // A fault set from test code on the API is what the page meets.
        app.GetMesh().SetFault("apiservice", new HttpFaultInjection { Abort = new FaultAbort(503, 100) });
        // The page has started streaming when the API fails: the front end breaks it off, so no forecast arrives.
        try
        {
            Assert.DoesNotContain("<table", await client.GetStringAsync("/weather?fault", cancellation.Token));
        }
        catch (HttpRequestException)
        {
        }

        Assert.Contains(spans, span => FromWeb(span) && Tag(span, "reporter") == "source" && Tag(span, "response_flags") == "FI");
        app.GetMesh().ClearFaults();

        // STRICT mutual TLS mesh-wide: the sidecars already speak it, so nothing breaks.
        app.GetMesh().Update(config => config with { PeerAuthentications = [new PeerAuthentication("default", MutualTlsMode.Strict)] });
        Assert.Contains("<table", await client.GetStringAsync("/weather?strict", cancellation.Token));

        // A replica that crashes (killed outright) comes back, as a Deployment's pod would.
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

    [Fact]
    public async Task WithoutSidecarOnTheApiMakesTheFrontEndsCallsDirectAgain()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shop_AppHost>(cancellation.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.CreateResourceBuilder<ProjectResource>("apiservice").WithoutSidecar();
        await using var app = await builder.BuildAsync(cancellation.Token);
        await app.StartAsync(cancellation.Token);
        await app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);

        Assert.DoesNotContain(app.GetMesh().Config.Listeners, listener => listener.Kind == ListenerKind.Outbound);

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
}
