using System.Text.RegularExpressions;
using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// The sample started once with a copy of samples/istio as its only rules (<c>--mesh-config</c>),
/// as a team's own files would drive it; each test edits the copy while the app runs and leaves it
/// as it found it.
/// </summary>
public sealed class MeshConfigFilesFixture : IAsyncLifetime
{
    public string Files { get; } = MeshConfigFilesTests.CopyOf(Path.Combine(Repository.Root, "samples", "istio"));

    public DistributedApplication App { get; private set; } = null!;

    public ResourceNotificationService Notifications => App.Services.GetRequiredService<ResourceNotificationService>();

    /// <summary>The IDE the projects run under, which starts their build output (see <see cref="SampleAppFixture"/>).</summary>
    private IdeSessionEndpoint? _ide;

    public async Task InitializeAsync()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        _ide = await IdeSessionEndpoint.StartAsync();
        App = await _ide.AsTheIdeAsync(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--IngressPort=0", "--mesh-config", Files, .. IdeSessionEndpoint.FunctionsAsFromATerminal], cancellation.Token);
            builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            var app = await builder.BuildAsync(cancellation.Token);
            await app.StartAsync(cancellation.Token);
            return app;
        });
        await Notifications.WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);
    }

    public HttpClient IngressClient() => new(new HttpClientHandler { UseCookies = false }) { BaseAddress = App.GetEndpoint("ingress", "http"), Timeout = TimeSpan.FromSeconds(30) };

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ide is not null)
        {
            await _ide.DisposeAsync();
        }

        Directory.Delete(Files, recursive: true);
    }
}

[Collection(SampleAppCollection.Name)]
public sealed partial class MeshConfigFilesTests(MeshConfigFilesFixture fixture) : IClassFixture<MeshConfigFilesFixture>
{
    [GeneratedRegex("class=\"stars\" data-color=\"([a-z]+)\"")]
    private static partial Regex Stars();

    /// <summary>An HTTPRoute attached to reviews sending everything to its version Service reviews-v3, as bookinfo's Gateway API files write it.</summary>
    private static readonly string ReviewsV3HttpRoute = """
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews-v3
        spec:
          ports:
          - port: 9080
            name: http
          selector:
            app: reviews
            version: v3
        ---

        """.ReplaceLineEndings("\n") + ReviewsRoute(null, ("reviews-v3", 1));

    [Fact]
    public async Task TheSamplesIstioFilesDriveTheMeshAndASavedFileIsInForceAtOnceWhileABrokenOneKeepsTheLastGoodRules()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var (app, files) = (fixture.App, fixture.Files);

        // The rules came from the files: the C# model declares none with --mesh-config.
        var reviews = app.GetMesh().Config.Services.Single(s => s.Name == "reviews");
        Assert.Equal(["jason", "everyone-else"], reviews.Http.Select(route => route.Name));

        using var client = fixture.IngressClient();
        for (var load = 0; load < 4; load++)
        {
            var jason = await client.GetStringAsync("/productpage?user=jason", cancellation.Token);
            Assert.Contains("Reviews served by: reviews-v2-", jason);
            Assert.Contains("Ratings service is currently unavailable", jason);

            var anyone = await client.GetStringAsync("/productpage?user=", cancellation.Token);
            Assert.Contains("Reviews served by: reviews-v1-", anyone);
            Assert.DoesNotMatch(Stars(), anyone);
        }

        // gateway.yaml: the ingress serves the page, its stylesheet and its API, and nothing else.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/static/bookinfo.css", cancellation.Token)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/api/v1/products/0", cancellation.Token)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync("/", cancellation.Token)).StatusCode);
        using (var browser = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = client.BaseAddress })
        {
            // Signing in as bookinfo's form does.
            using var signIn = await browser.PostAsync("/login", new FormUrlEncodedContent([new("username", "jason"), new("passwd", "")]), cancellation.Token);
            Assert.Equal(System.Net.HttpStatusCode.Redirect, signIn.StatusCode);
            Assert.StartsWith("user=jason", signIn.Headers.GetValues("Set-Cookie").Single());
        }

        // security/: STRICT mTLS mesh-wide, and only productpage may call reviews — the load client gets 403.
        Assert.Equal(MutualTlsMode.Strict, app.GetMesh().Config.MutualTlsModeOf(app.GetMesh().Config.Workloads.Single(w => w.Name == "reviews-v1"), 9080));
        using (var loadClient = new HttpClient { BaseAddress = app.GetEndpoint("loadclient-v1", "http"), Timeout = TimeSpan.FromSeconds(60) })
        {
            using var run = System.Text.Json.JsonDocument.Parse(await loadClient.GetStringAsync("/run?target=reviews&c=1&n=3", cancellation.Token));
            Assert.Equal(3, run.RootElement.GetProperty("codes").GetProperty("403").GetInt32());
        }

        // Everyone else to v3 now: saved, and in force on the next requests.
        var routes = Path.Combine(files, "routes", "reviews-v2-for-jason.yaml");
        var original = await File.ReadAllTextAsync(routes, cancellation.Token);
        await File.WriteAllTextAsync(routes, original.Replace("{host: reviews, subset: v1}", "{host: reviews, subset: v3}", StringComparison.Ordinal), cancellation.Token);
        await Eventually.TrueAsync(async () => (await client.GetStringAsync("/productpage?user=", cancellation.Token)).Contains("data-color=\"red\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the edited route in force");

        // A broken save: the mesh says so, and v3 stays in force.
        var notifications = fixture.Notifications;
        await File.WriteAllTextAsync(routes, original.Replace("hosts: [reviews]", "hosts: [reviews]\n  htttp: []", StringComparison.Ordinal), cancellation.Token);
        await notifications.WaitForResourceAsync("mesh", state => state.Snapshot.State?.Text == "Configuration errors", cancellation.Token);
        Assert.True(notifications.TryGetCurrentState("mesh", out var broken));
        Assert.Contains("unknown field 'htttp'", broken.Snapshot.Properties.Single(p => p.Name == "mesh.config.errors").Value as string);
        Assert.Contains("data-color=\"red\"", await client.GetStringAsync("/productpage?user=", cancellation.Token));

        // The next good save clears it.
        await File.WriteAllTextAsync(routes, original, cancellation.Token);
        await notifications.WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);
        await Eventually.TrueAsync(async () => (await client.GetStringAsync("/productpage?user=", cancellation.Token)).Contains("Reviews served by: reviews-v1-", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the original route back in force");
        Assert.True(notifications.TryGetCurrentState("reviews", out var reviewsState));
        Assert.Contains("VirtualService default/reviews (", reviewsState.Snapshot.Properties.Single(p => p.Name == "mesh.rules.from").Value as string);

        // Today's Istio docs route with the Gateway API: the same file saved as an HTTPRoute on reviews
        // to bookinfo's version Service reviews-v3 (route-reviews-v3.yaml's shape) is in force, for jason too
        // (whose ratings the sample's files abort, so no stars are shown: the page names the version that served it).
        await File.WriteAllTextAsync(routes, ReviewsV3HttpRoute, cancellation.Token);
        await Eventually.TrueAsync(async () => (await client.GetStringAsync("/productpage?user=jason", cancellation.Token)).Contains("Reviews served by: reviews-v3-", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the HTTPRoute in force");
        await File.WriteAllTextAsync(routes, original, cancellation.Token);
        await IstioRoutesInForceAsync();

        // monitoring/: the team's PrometheusRule is evaluated by the local Prometheus, and a saved one is reloaded.
        if (RequiresCommandFactAttribute.OnPath("prometheus"))
        {
            // Evaluated, whatever its state (a cold start on a busy machine can make its p99 high).
            await MeshAlerts.WaitAsync(notifications, alerts => alerts.Contains("BookinfoSlowService: ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            var rules = Path.Combine(files, "monitoring", "bookinfo-alerts.yaml");
            await File.AppendAllTextAsync(rules, """
                  - name: bookinfo.drill
                    rules:
                    - alert: BookinfoDrill
                      expr: vector(1)

                """.ReplaceLineEndings("\n"), cancellation.Token);
            await MeshAlerts.WaitAsync(notifications, alerts => alerts.Contains("BookinfoDrill: firing — all series (value 1", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            await File.WriteAllTextAsync(rules, File.ReadAllText(Path.Combine(Repository.Root, "samples", "istio", "monitoring", "bookinfo-alerts.yaml")), cancellation.Token);
        }
        else
        {
            await MeshAlerts.WaitAsync(notifications, alerts => alerts.StartsWith("not evaluated: Prometheus is not installed", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        }

    }

    /// <summary>
    /// samples/gateway-api — the sample's traffic as the Gateway API (HTTPRoutes on the Services and
    /// on a Gateway, version Services as backends) — then the istio.io tasks' Gateway API tabs, each
    /// saved as the task applies it: request routing, traffic shifting 90/10, 50/50 and all to v3,
    /// request timeouts.
    /// </summary>
    [Fact]
    public async Task TheIstioTasksGatewayApiRoutesDriveTheSampleAsTheTasksSay()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var (app, files) = (fixture.App, fixture.Files);
        // The running app's routes, gateway and subsets become the Gateway API's (its security, functions and alerts stay).
        foreach (var istio in new[] { "gateway.yaml", "subsets.yaml", "routes" })
        {
            Delete(Path.Combine(files, istio));
        }

        var gatewayApi = Path.Combine(Repository.Root, "samples", "gateway-api");
        foreach (var file in Directory.EnumerateFiles(gatewayApi, "*.yaml", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(files, Path.GetRelativePath(gatewayApi, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        await Eventually.TrueAsync(() => Task.FromResult(app.GetMesh().Config.Services.Single(service => service.Name == "reviews").Http.Select(route => route.Name).SequenceEqual(["reviews.0", "reviews.1"])),
            TimeSpan.FromSeconds(10), "the Gateway API routes in force");
        using var client = fixture.IngressClient();
        async Task<string> PageAsync(string user) => await client.GetStringAsync($"/productpage?user={user}", cancellation.Token);
        // A saved route is in force once the mesh's rules for reviews are the file's.
        async Task SaveReviewsAsync(TimeSpan? timeout, params (string Backend, int Weight)[] backends)
        {
            await File.WriteAllTextAsync(Path.Combine(files, "routes", "reviews.yaml"), ReviewsRoute(timeout, backends), cancellation.Token);
            await Eventually.TrueAsync(() => Task.FromResult(app.GetMesh().Config.Services.Single(service => service.Name == "reviews").Http is [{ Route: { } route } only]
                && only.Timeout == timeout
                && route.Select(destination => (destination.Destination.Subset!, destination.Weight ?? 1)).SequenceEqual(backends)), TimeSpan.FromSeconds(10), $"reviews routed to {string.Join(", ", backends)}");
        }

        async Task<Dictionary<string, int>> ColorsAsync(int pages)
        {
            var colors = new Dictionary<string, int>();
            for (var load = 0; load < pages; load++)
            {
                var color = Stars().Match(await PageAsync("")) is { Success: true } stars ? stars.Groups[1].Value : "none";
                colors[color] = colors.GetValueOrDefault(color) + 1;
            }

            return colors;
        }

        // Request routing: jason gets v2 (black stars), everyone else v1 (none).
        for (var load = 0; load < 4; load++)
        {
            Assert.Matches("data-color=\"black\"", await PageAsync("jason"));
            Assert.DoesNotMatch(Stars(), await PageAsync(""));
        }

        // The HTTPRoute on the Gateway serves the book and nothing else.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/static/bookinfo.css", cancellation.Token)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync("/", cancellation.Token)).StatusCode);

        // Traffic shifting, route-reviews-90-10.yaml: 90 to v1, 10 to v2.
        await SaveReviewsAsync(null, ("reviews-v1", 90), ("reviews-v2", 10));
        var shifted = await ColorsAsync(100);
        Assert.Equal(["black", "none"], shifted.Keys.Order());
        Assert.InRange(shifted["black"], 2, 25); // Binomial(100, 0.1): 10 ± 5 standard deviations
        // route-reviews-50-v3.yaml: 50 to v1, 50 to v3.
        await SaveReviewsAsync(null, ("reviews-v1", 50), ("reviews-v3", 50));
        shifted = await ColorsAsync(40);
        Assert.Equal(["none", "red"], shifted.Keys.Order());
        Assert.InRange(shifted["red"], 8, 32); // Binomial(40, 0.5): 20 ± 4 standard deviations
        // route-reviews-v3.yaml: all to v3.
        await SaveReviewsAsync(null, ("reviews-v3", 1));
        Assert.Equal(["red"], (await ColorsAsync(6)).Keys);

        // Request timeouts: reviews v2; ratings delayed 2 s by a VirtualService (the Gateway API has no
        // fault injection, so the task uses one: it is in force over ratings' HTTPRoute, with IST0109).
        await SaveReviewsAsync(null, ("reviews-v2", 1));
        await File.WriteAllTextAsync(Path.Combine(files, "routes", "ratings-delay.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: ratings
            spec:
              hosts:
              - ratings
              http:
              - fault:
                  delay:
                    percentage:
                      value: 100
                    fixedDelay: 2s
                route:
                - destination:
                    host: ratings
            """.ReplaceLineEndings("\n"), cancellation.Token);
        await Eventually.TrueAsync(async () => (await Timed(() => PageAsync(""))).Elapsed >= TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15), "the ratings delay in force");
        var slow = await Timed(() => PageAsync(""));
        Assert.Contains("data-color=\"black\"", slow.Page);
        Assert.InRange(slow.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.9));

        // timeouts.request 500ms on reviews: productpage tries twice, so the page comes in about 1 s with reviews unavailable.
        await SaveReviewsAsync(TimeSpan.FromMilliseconds(500), ("reviews-v2", 1));
        var timedOut = await Timed(() => PageAsync(""));
        Assert.Contains("Sorry, product reviews are currently unavailable for this book.", timedOut.Page);
        Assert.InRange(timedOut.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.9));

        // Back to the Istio files, as the other test expects them.
        foreach (var added in new[] { "versions.yaml", "gateway.yaml", "routes" })
        {
            Delete(Path.Combine(files, added));
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repository.Root, "samples", "istio"), "*.yaml", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(files, Path.GetRelativePath(Path.Combine(Repository.Root, "samples", "istio"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy, overwrite: true);
        }

        await IstioRoutesInForceAsync();
    }

    /// <summary>Waits until the rules of samples/istio are in force again.</summary>
    private Task IstioRoutesInForceAsync() => Eventually.TrueAsync(
        () => Task.FromResult(fixture.App.GetMesh().Config.Services.Single(service => service.Name == "reviews").Http.Select(route => route.Name).SequenceEqual(["jason", "everyone-else"])),
        TimeSpan.FromSeconds(10), "the Istio files' routes in force");

    private static void Delete(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else
        {
            File.Delete(path);
        }
    }

    /// <summary>An HTTPRoute on reviews with one rule, as bookinfo's gateway-api/route-reviews-*.yaml and the timeouts task write it.</summary>
    private static string ReviewsRoute(TimeSpan? timeout, params (string Backend, int Weight)[] backends) => $"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: reviews
        spec:
          parentRefs:
          - group: ""
            kind: Service
            name: reviews
            port: 9080
          rules:
          - backendRefs:
        {string.Join("", backends.Select(backend => $"    - name: {backend.Backend}\n      port: 9080\n      weight: {backend.Weight}\n"))}{(timeout is { } request ? $"    timeouts:\n      request: {request.TotalMilliseconds}ms\n" : "")}
        """.ReplaceLineEndings("\n");

    private static async Task<(string Page, TimeSpan Elapsed)> Timed(Func<Task<string>> load)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var page = await load();
        return (page, stopwatch.Elapsed);
    }

    /// <summary>A copy of a folder of the repository, to edit while the app runs.</summary>
    internal static string CopyOf(string folder)
    {
        var copy = Directory.CreateTempSubdirectory("localmesh-config-").FullName;
        foreach (var file in Directory.EnumerateFiles(folder, "*.yaml", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }
}
