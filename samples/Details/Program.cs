// details: the book's bibliographic facts, as bookinfo's details service serves them. Each
// book's facts are kept a minute in redis-cache, a Redis-compatible cache reached over RESP through
// the mesh's TCP sidecars; the answer says whether it came from the cache ("cache": "hit"), was
// put there ("miss"), or the cache could not be reached ("unavailable": details still answers).
using System.Text.Json;
using System.Text.Json.Nodes;
using StackExchange.Redis;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
// WithReference(cache) gives its address as services__redis-cache__tcp__0 (the outbound sidecar's, with the mesh).
builder.Services.AddSingleton(services => new DetailsCache(
    builder.Configuration["services:redis-cache:tcp:0"], services.GetRequiredService<ILogger<DetailsCache>>()));

var app = builder.Build();
app.MapDefaultEndpoints();

app.MapGet("/details/{productId:int}", async (int productId, DetailsCache cache, CancellationToken cancellationToken) =>
{
    var (facts, outcome) = await cache.GetOrAddAsync($"details:{productId}", () => JsonSerializer.Serialize(new
    {
        id = productId,
        author = "William Shakespeare",
        year = 1595,
        type = "paperback",
        pages = 200,
        publisher = "PublisherA",
        language = "English",
        isbn10 = "1234567890",
        isbn13 = "123-1234567890",
    }), cancellationToken);
    var details = JsonNode.Parse(facts)!.AsObject();
    details["cache"] = outcome;
    return Results.Content(details.ToJsonString(), "application/json");
});

app.Run();

/// <summary>A read-through cache on redis-cache; without one configured, or when it cannot be reached, the value is computed each time.</summary>
internal sealed class DetailsCache(string? address, ILogger<DetailsCache> logger) : IAsyncDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    /// <summary>How long a cache call may take before details answers without it.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    private readonly Lazy<Task<ConnectionMultiplexer>>? _connection = Uri.TryCreate(address, UriKind.Absolute, out var uri)
        ? new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { uri.Host, uri.Port } },
            AbortOnConnectFail = false,
            // A first connection through both sidecars may take a moment while the app starts; each command still gets only Patience.
            ConnectTimeout = 5000,
            AsyncTimeout = (int)Patience.TotalMilliseconds,
        }))
        : null;

    public async Task<(string Value, string Outcome)> GetOrAddAsync(string key, Func<string> create, CancellationToken cancellationToken)
    {
        if (_connection is null)
        {
            return (create(), "off");
        }

        try
        {
            var database = (await _connection.Value.WaitAsync(Patience, cancellationToken)).GetDatabase();
            if (await database.StringGetAsync(key).WaitAsync(Patience, cancellationToken) is { HasValue: true } cached)
            {
                return (cached.ToString(), "hit");
            }

            var value = create();
            await database.StringSetAsync(key, value, Lifetime).WaitAsync(Patience, cancellationToken);
            return (value, "miss");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogWarning("redis-cache unavailable: {Reason}", ex.Message);
            return (create(), "unavailable");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is { IsValueCreated: true })
        {
            await (await _connection.Value).DisposeAsync();
        }
    }
}
