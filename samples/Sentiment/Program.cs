// sentiment: an HTTP function (a Knative Service). It scales to zero when idle and starts on the
// first request; reviews asks it whether a review's text is positive, negative or neutral.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, SentimentJson.Default));
//builder.AddServiceDefaults();

var app = builder.Build();
//app.MapDefaultEndpoints();

var revision = Environment.GetEnvironmentVariable("K_REVISION") ?? "local";
string[] positive = ["good", "great", "excellent", "wonderful", "fun", "love", "best"];
string[] negative = ["bad", "boring", "poor", "awful", "worst", "hate", "dull"];

app.MapPost("/", (SentimentRequest request) =>
{
    var words = request.Text.Split([' ', ',', '.', '!', '?'], StringSplitOptions.RemoveEmptyEntries)
        .Select(word => word.ToLowerInvariant())
        .ToList();
    var score = words.Count(positive.Contains) - words.Count(negative.Contains);
    return Results.Ok(new SentimentResponse(score > 0 ? "positive" : score < 0 ? "negative" : "neutral", score, revision));
});

app.Run();

internal sealed record SentimentRequest(string Text);

internal sealed record SentimentResponse(string Sentiment, int Score, string Revision);

[System.Text.Json.Serialization.JsonSerializable(typeof(SentimentRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(SentimentResponse))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
internal sealed partial class SentimentJson : System.Text.Json.Serialization.JsonSerializerContext;
