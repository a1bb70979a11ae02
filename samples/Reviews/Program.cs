// reviews: two reviews of the book. v1 shows no ratings; v2 (black stars) and v3 (red stars)
// ask the ratings service, as bookinfo's three reviews versions do.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

var version = builder.Configuration["SERVICE_VERSION"] ?? "v1";
var starColor = version switch { "v2" => "black", "v3" => "red", _ => null };
// Unique per process, so a caller can tell replicas apart (bookinfo's reviews reports its pod name).
var podName = $"reviews-{version}-{Environment.ProcessId}";

builder.Services.AddHttpClient("ratings", client =>
{
    client.BaseAddress = new Uri("http://ratings");
    client.Timeout = TimeSpan.FromSeconds(10);
});

var app = builder.Build();
app.MapDefaultEndpoints();

app.MapGet("/reviews/{productId:int}", async (int productId, IHttpClientFactory clients, CancellationToken cancellationToken) =>
{
    Dictionary<string, int>? stars = null;
    string? ratingsError = null;
    if (starColor is not null)
    {
        try
        {
            var ratings = await clients.CreateClient("ratings")
                .GetFromJsonAsync<RatingsResponse>($"/ratings/{productId}", cancellationToken);
            stars = ratings?.Ratings;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            ratingsError = "Ratings service is currently unavailable";
        }
    }

    return Results.Ok(new
    {
        id = productId,
        podname = podName,
        version,
        reviews = new[] { "Reviewer1", "Reviewer2" }.Select((reviewer, index) => new
        {
            reviewer,
            text = index == 0
                ? "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!"
                : "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.",
            rating = starColor is null ? null : new
            {
                stars = stars?.GetValueOrDefault(reviewer),
                color = starColor,
                error = ratingsError,
            },
        }),
    });
});

app.Run();

internal sealed record RatingsResponse(int Id, Dictionary<string, int> Ratings);
