// review-notifier: an event-driven function (a Knative Service behind a Trigger). The broker
// delivers each "review posted" CloudEvent to it in binary mode; it tells the reviewer's followers
// (here: it logs and remembers the event). An anonymous review has nobody to notify, which it
// reports as a failure, so the broker retries and then dead-letters it.
//
// With ROLE=sink the same project is a dead-letter sink: it accepts and remembers every event.
using System.Collections.Concurrent;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, NotifierJson.Default));

var app = builder.Build();
var isSink = app.Configuration["ROLE"] == "sink";
var received = new ConcurrentQueue<ReceivedEvent>();

app.MapPost("/", async (HttpRequest request, ILogger<ReceivedEvent> logger) =>
{
    var attributes = request.Headers
        .Where(header => header.Key.StartsWith("ce-", StringComparison.OrdinalIgnoreCase))
        .ToDictionary(header => header.Key[3..].ToLowerInvariant(), header => Uri.UnescapeDataString(header.Value.ToString()));
    var review = await request.ReadFromJsonAsync(NotifierJson.Default.PostedReview);
    received.Enqueue(new ReceivedEvent(attributes, review));

    if (isSink)
    {
        logger.LogWarning("Dead letter {Id} ({Type}): delivery failed with {Code}.", attributes.GetValueOrDefault("id"), attributes.GetValueOrDefault("type"), attributes.GetValueOrDefault("knativeerrorcode"));
        return Results.Accepted();
    }

    if (string.IsNullOrWhiteSpace(review?.Reviewer))
    {
        return Results.Problem("An anonymous review has no reviewer whose followers could be notified.", statusCode: StatusCodes.Status500InternalServerError);
    }

    logger.LogInformation("Notified the followers of {Reviewer}: {Stars} stars for product {ProductId}.", review.Reviewer, review.Stars, review.ProductId);
    return Results.Accepted();
});

// What this instance received, newest last (instances are short-lived: it empties when the function scales to zero).
app.MapGet("/events", () => Results.Ok(received.ToArray()));

app.Run();

internal sealed record PostedReview(int ProductId, string? Reviewer, int Stars, string Text);

internal sealed record ReceivedEvent(Dictionary<string, string> Attributes, PostedReview? Review);

[System.Text.Json.Serialization.JsonSerializable(typeof(PostedReview))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ReceivedEvent[]))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
internal sealed partial class NotifierJson : System.Text.Json.Serialization.JsonSerializerContext;
