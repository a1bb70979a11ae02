// sentiment: an HTTP function (a Knative Service). It scales to zero when idle and starts on the
// first request; reviews asks it whether a review's text is positive, negative or neutral.
// A function's start-up is its users' latency, so it stays lean: the slim builder, source-generated
// JSON and request delegates, and no telemetry pipeline (the mesh's spans show every call to it).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, SentimentJson.Default));

var app = builder.Build();

var revision = Environment.GetEnvironmentVariable("K_REVISION") ?? "local";
// How far from neutral a score must be to count (the canary revision is stricter).
var threshold = int.TryParse(Environment.GetEnvironmentVariable("SENTIMENT_THRESHOLD"), out var configured) ? configured : 1;
string[] positive = ["good", "great", "excellent", "wonderful", "fun", "love", "best", "entertaining", "refreshing"];
string[] negative = ["bad", "boring", "poor", "awful", "worst", "hate", "dull", "lacks"];

app.MapPost("/", (SentimentRequest request) =>
{
    var words = request.Text.Split([' ', ',', '.', '!', '?'], StringSplitOptions.RemoveEmptyEntries)
        .Select(word => word.ToLowerInvariant())
        .ToList();
    var score = words.Count(positive.Contains) - words.Count(negative.Contains);
    return Results.Ok(new SentimentResponse(score >= threshold ? "positive" : score <= -threshold ? "negative" : "neutral", score, revision));
});

app.Run();

internal sealed record SentimentRequest(string Text);

internal sealed record SentimentResponse(string Sentiment, int Score, string Revision);

[System.Text.Json.Serialization.JsonSerializable(typeof(SentimentRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(SentimentResponse))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
internal sealed partial class SentimentJson : System.Text.Json.Serialization.JsonSerializerContext;
