using System.Text.RegularExpressions;
using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The sample driven by Istio YAML alone (<c>--mesh-config</c>), as a team's own files would drive it.</summary>
public sealed partial class MeshConfigFilesTests
{
    [GeneratedRegex("class=\"stars\" data-color=\"([a-z]+)\"")]
    private static partial Regex Stars();

    /// <summary>An HTTPRoute attached to reviews sending everything to its version Service reviews-v3, as bookinfo's Gateway API files write it.</summary>
    private const string ReviewsV3HttpRoute = """
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
            - name: reviews-v3
              port: 9080
        """;

    [Fact]
    public async Task TheSamplesIstioFilesDriveTheMeshAndASavedFileIsInForceAtOnceWhileABrokenOneKeepsTheLastGoodRules()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        // A copy, to edit while the app runs.
        var files = Directory.CreateTempSubdirectory("localmesh-istio-").FullName;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repository.Root, "samples", "istio"), "*.yaml", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(files, Path.GetRelativePath(Path.Combine(Repository.Root, "samples", "istio"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--IngressPort=0", "--mesh-config", files], cancellation.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        await using var app = await builder.BuildAsync(cancellation.Token);
        await app.StartAsync(cancellation.Token);
        await app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);

        // The rules came from the files: the C# model declares none with --mesh-config.
        var reviews = app.GetMesh().Config.Services.Single(s => s.Name == "reviews");
        Assert.Equal(["jason", "everyone-else"], reviews.Http.Select(route => route.Name));

        using var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = app.GetEndpoint("ingress", "http"), Timeout = TimeSpan.FromSeconds(30) };
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
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
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
        }
        else
        {
            await MeshAlerts.WaitAsync(notifications, alerts => alerts.StartsWith("not evaluated: Prometheus is not installed", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        }

        await app.StopAsync(cancellation.Token);
        Directory.Delete(files, recursive: true);
    }
}
