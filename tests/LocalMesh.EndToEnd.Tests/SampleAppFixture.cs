using System.Diagnostics;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// The sample AppHost, started once for every test that only reads from it. The AppHost runs in
/// this process, so the mesh's spans are collected here with an <see cref="ActivityListener"/>.
/// </summary>
public sealed class SampleAppFixture : IAsyncLifetime
{
    /// <summary>How long start-up may take on a cold machine (DCP, five builds, health checks).</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The error-rate alert's rate window in these tests.</summary>
    public static readonly TimeSpan AlertWindow = TimeSpan.FromSeconds(15);

    /// <summary>How long the error rate stays high before the alert fires, in these tests.</summary>
    public static readonly TimeSpan AlertPendingFor = TimeSpan.FromSeconds(5);

    private DistributedApplication? _app;

    /// <summary>
    /// The IDE the app's projects run under: it starts each project's build output, as an IDE does,
    /// instead of a <c>dotnet run</c> per replica (which on two cores takes most of a start-up).
    /// </summary>
    private IdeSessionEndpoint? _ide;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

    /// <summary>The mesh's spans, every one since the app started.</summary>
    public SpanCollector Spans { get; } = new();

    /// <summary>The ingress gateway's address.</summary>
    public Uri Ingress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        _ide = await IdeSessionEndpoint.StartAsync();
        _app = await _ide.AsTheIdeAsync(async () =>
        {
            // Port 0: the tests run beside a developer's own app on 9080. Functions start as from a terminal.
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--IngressPort=0", .. IdeSessionEndpoint.FunctionsAsFromATerminal], cancellation.Token);
            builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            // The sample's alert takes minutes, as in a cluster; a test waits seconds for it.
            builder.CreateResourceBuilder(builder.Resources.OfType<MeshResource>().Single())
                .WithErrorRateAlert(window: AlertWindow, pendingFor: AlertPendingFor);
            var app = await builder.BuildAsync(cancellation.Token);
            await app.StartAsync(cancellation.Token);
            return app;
        });

        // The mesh is Running once every replica of every workload has been ready (and the ingress serves).
        await _app.Services.GetRequiredService<ResourceNotificationService>()
            .WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);

        Ingress = _app.GetEndpoint("ingress", "http");

        // The first calls through a cold app (JIT, first connections and handshakes) can outlast
        // productpage's 3 s timeout on a busy machine; tests start from a warm one.
        for (var whole = 0; whole < 8 && !cancellation.IsCancellationRequested;)
        {
            var page = await LoadPageAsync(null);
            whole = page.Contains("Reviews served by", StringComparison.Ordinal) && !page.Contains("unavailable", StringComparison.Ordinal) ? whole + 1 : 0;
        }
    }

    /// <summary>
    /// Switches the running mesh to one of the AppHost's scenarios (the routes <c>--scenario</c>
    /// would start it with) until the returned handle is disposed.
    /// </summary>
    public IDisposable UseScenario(string scenario)
    {
        var mesh = App.GetMesh();
        MeshConfig? original = null;
        mesh.Update(config => BookinfoScenarios.Apply(original = config, scenario));
        return new Restore(() => mesh.Update(_ => original!));
    }

    /// <summary>The spans of one request that satisfy <paramref name="filter"/>, once at least <paramref name="count"/> have finished; fails when they have not within 10 s.</summary>
    public Task<IReadOnlyList<Activity>> WaitForSpansAsync(string requestId, Func<Activity, bool> filter, int count) =>
        Spans.WaitForAsync(span => SpanCollector.RequestIdOf(span) == requestId && filter(span), count, $"request {requestId}");

    /// <summary>Loads the product page through the ingress as <paramref name="user"/> (none: signed out).</summary>
    public async Task<string> LoadPageAsync(string? user, string? requestId = null)
    {
        using var client = CreateIngressClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/productpage?user={user}");
        if (requestId is not null)
        {
            request.Headers.Add("x-request-id", requestId);
        }

        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Has the sample's load client call <paramref name="target"/> through its own sidecar; returns the count of each status code.</summary>
    public async Task<Dictionary<int, int>> RunLoadClientAsync(string target, int connections, int requests)
    {
        using var client = new HttpClient { BaseAddress = App.GetEndpoint("loadclient-v1", "http"), Timeout = TimeSpan.FromSeconds(60) };
        using var result = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync($"/run?target={target}&c={connections}&n={requests}"));
        return result.RootElement.GetProperty("codes").EnumerateObject().ToDictionary(code => int.Parse(code.Name, System.Globalization.CultureInfo.InvariantCulture), code => code.Value.GetInt32());
    }

    public HttpClient CreateIngressClient() => new(new HttpClientHandler { UseCookies = false })
    {
        BaseAddress = Ingress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public async Task DisposeAsync()
    {
        Spans.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_ide is not null)
        {
            await _ide.DisposeAsync();
        }
    }
}

internal sealed class Restore(Action restore) : IDisposable
{
    public void Dispose() => restore();
}
