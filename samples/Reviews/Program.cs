// reviews: two reviews of the book. v1 shows no ratings; v2 (black stars) and v3 (red stars)
// ask the ratings service, as bookinfo's three reviews versions do. With ?sentiment=true each
// review also gets the sentiment function's verdict; POST /reviews/{id} publishes a
// "review posted" CloudEvent to the events broker.
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

builder.Services.AddHttpClient("sentiment", client =>
{
    client.BaseAddress = new Uri("http://sentiment");
    client.Timeout = TimeSpan.FromSeconds(10); // a cold start is well under that
});
builder.Services.AddHttpClient("events", client => client.BaseAddress = new Uri("http://events"));

var app = builder.Build();
app.MapDefaultEndpoints();

string[] texts =
[
    "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!",
    "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.",
];

app.MapGet("/reviews/{productId:int}", async (int productId, bool? sentiment, IHttpClientFactory clients, CancellationToken cancellationToken) =>
{
    string?[] sentiments = new string?[texts.Length];
    if (sentiment == true)
    {
        var verdicts = texts.Select(async text =>
        {
            try
            {
                using var response = await clients.CreateClient("sentiment").PostAsJsonAsync("/", new { text }, cancellationToken);
                return response.IsSuccessStatusCode
                    ? (await response.Content.ReadFromJsonAsync<SentimentResponse>(cancellationToken))?.Sentiment
                    : $"unavailable ({(int)response.StatusCode})";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                return "unavailable";
            }
        });
        sentiments = await Task.WhenAll(verdicts);
    }

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
            text = texts[index],
            sentiment = sentiments[index],
            rating = starColor is null ? null : new
            {
                stars = stars?.GetValueOrDefault(reviewer),
                color = starColor,
                error = ratingsError,
            },
        }),
    });
});

// A new review: published as a CloudEvent (binary mode) for whoever subscribes; 202 once the broker has it.
app.MapPost("/reviews/{productId:int}", async (int productId, PostedReview review, IHttpClientFactory clients, CancellationToken cancellationToken) =>
{
    var id = Guid.NewGuid().ToString();
    using var message = new HttpRequestMessage(HttpMethod.Post, "/")
    {
        Content = JsonContent.Create(review with { ProductId = productId }),
    };
    message.Headers.Add("ce-specversion", "1.0");
    message.Headers.Add("ce-id", id);
    message.Headers.Add("ce-source", $"/reviews/{version}");
    message.Headers.Add("ce-type", "com.bookinfo.review.posted");
    message.Headers.Add("ce-subject", productId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    using var response = await clients.CreateClient("events").SendAsync(message, cancellationToken);
    return response.IsSuccessStatusCode
        ? Results.Accepted(value: new { id })
        : Results.Problem($"The events broker refused the review ({(int)response.StatusCode}).", statusCode: StatusCodes.Status502BadGateway);
});

app.Run();

internal sealed record RatingsResponse(int Id, Dictionary<string, int> Ratings);

internal sealed record SentimentResponse(string Sentiment, int Score, string Revision);

internal sealed record PostedReview(int ProductId, string? Reviewer, int Stars, string Text);
