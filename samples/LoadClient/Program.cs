// loadclient: a small load generator in the spirit of Istio's fortio and sleep samples. It calls
// a service through its own outbound sidecar with a number of concurrent connections and reports
// the status codes it got: GET /run?target=details&c=2&n=20. With LOAD_ON_START it runs once at
// start (the circuit-breaking scenario).
using System.Collections.Concurrent;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var targets = new Dictionary<string, string>
{
    ["details"] = "http://details/details/0",
    ["reviews"] = "http://reviews/reviews/0",
};

var app = builder.Build();
app.MapDefaultEndpoints();

app.MapGet("/run", async (string? target, int? c, int? n, ILogger<LoadRun> logger, IConfiguration configuration) =>
{
    if (!targets.TryGetValue(target ?? "details", out var uri))
    {
        return Results.BadRequest($"Unknown target '{target}'; use one of: {string.Join(", ", targets.Keys)}.");
    }

    var result = await LoadRun.RunAsync(configuration, uri, c ?? 2, n ?? 20);
    logger.LogInformation("{Summary}", result.Summary);
    return Results.Ok(result);
});

if (app.Configuration.GetValue("LOAD_ON_START", false))
{
    app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
    {
        // One run at start, like `fortio load -c 2 -qps 0 -n 20` in Istio's task, once the target
        // answers: a load before it is ready would only measure its start-up.
        if (!await LoadRun.WaitUntilServedAsync(app.Configuration, targets["details"], TimeSpan.FromMinutes(3), app.Lifetime.ApplicationStopping))
        {
            app.Logger.LogWarning("details did not answer 200 within 3 minutes; no load was run. GET /run?target=details runs it.");
            return;
        }

        var result = await LoadRun.RunAsync(app.Configuration, targets["details"],
            app.Configuration.GetValue("LOAD_CONNECTIONS", 2), app.Configuration.GetValue("LOAD_REQUESTS", 20));
        app.Logger.LogInformation("{Summary}", result.Summary);
    }));
}

app.Run();

internal sealed record LoadRun(int Connections, int Requests, IReadOnlyDictionary<int, int> Codes, int Overloaded)
{
    public string Summary => $"{Connections} connections, {Requests} requests: "
        + string.Join(", ", Codes.OrderBy(c => c.Key).Select(c => $"Code {c.Key} : {c.Value} ({100.0 * c.Value / Requests:0.0} %)"))
        + $"; x-envoy-overloaded on {Overloaded}";

    /// <summary>Each connection is a client of its own that sends its share of requests one after another.</summary>
    public static async Task<LoadRun> RunAsync(IConfiguration configuration, string target, int connections, int requests)
    {
        var uri = Resolve(configuration, target);
        var codes = new ConcurrentDictionary<int, int>();
        var overloaded = 0;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async connection =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 });
            for (var i = connection; i < requests; i += connections)
            {
                try
                {
                    using var response = await client.GetAsync(uri);
                    codes.AddOrUpdate((int)response.StatusCode, 1, (_, count) => count + 1);
                    if (response.Headers.Contains("x-envoy-overloaded"))
                    {
                        Interlocked.Increment(ref overloaded);
                    }
                }
                catch (HttpRequestException)
                {
                    codes.AddOrUpdate(-1, 1, (_, count) => count + 1);
                }
            }
        }));
        return new LoadRun(connections, requests, codes, overloaded);
    }

    /// <summary>Asks the target once every half second until it answers 200, or <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> WaitUntilServedAsync(IConfiguration configuration, string target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var uri = Resolve(configuration, target);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync(uri, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not up yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        }

        return false;
    }

    /// <summary>http://details/... is resolved from the service-discovery variables, i.e. to this workload's sidecar.</summary>
    private static Uri Resolve(IConfiguration configuration, string target)
    {
        var uri = new Uri(target);
        var address = configuration[$"services:{uri.Host}:http:0"] ?? throw new InvalidOperationException($"No reference to '{uri.Host}'.");
        return new Uri(new Uri(address), uri.PathAndQuery);
    }
}
