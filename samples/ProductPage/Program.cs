// productpage: the book's page. It calls details and reviews (through the mesh), forwards the
// signed-in user as the `end-user` header, and renders HTML or JSON.
using System.Net;
using System.Text;
using System.Text.Json;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

builder.Services.AddHttpClient("details", client => client.BaseAddress = new Uri("http://details"));
builder.Services.AddHttpClient("reviews", client => client.BaseAddress = new Uri("http://reviews"));
builder.Services.AddSingleton<ProductClient>();

var app = builder.Build();
app.MapDefaultEndpoints();

app.MapGet("/", () => Results.Content(Page.Index, "text/html"));

app.MapGet("/productpage", async (HttpContext context, ProductClient products) =>
{
    var user = UserSession.Resolve(context);
    var product = await products.GetAsync(0, user, WantsSentiment(context), context.RequestAborted);
    return Results.Content(Page.Render(product), "text/html");
});

app.MapGet("/api/v1/products/{id:int}", async (int id, HttpContext context, ProductClient products) =>
    Results.Ok(await products.GetAsync(id, UserSession.Resolve(context), WantsSentiment(context), context.RequestAborted)));

// A new review goes to reviews, which publishes it as an event.
app.MapPost("/api/v1/products/{id:int}/reviews", async (int id, HttpContext context, IHttpClientFactory clients) =>
{
    using var body = new StreamContent(context.Request.Body);
    body.Headers.ContentType = new("application/json");
    using var response = await clients.CreateClient("reviews").PostAsync($"/reviews/{id}", body, context.RequestAborted);
    return Results.Content(await response.Content.ReadAsStringAsync(context.RequestAborted), "application/json", statusCode: (int)response.StatusCode);
});

static bool WantsSentiment(HttpContext context) => context.Request.Query["sentiment"] == "true";

app.Run();

/// <summary>The signed-in user: `?user=` signs in (and sets the cookie), the cookie keeps it.</summary>
internal static class UserSession
{
    public static string? Resolve(HttpContext context)
    {
        if (context.Request.Query.TryGetValue("user", out var fromQuery))
        {
            var user = fromQuery.ToString();
            if (user.Length == 0)
            {
                context.Response.Cookies.Delete("user");
                return null;
            }

            context.Response.Cookies.Append("user", user, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax });
            return user;
        }

        return context.Request.Cookies.TryGetValue("user", out var fromCookie) && fromCookie.Length > 0 ? fromCookie : null;
    }
}

internal sealed record Product(int Id, string? User, JsonElement? Details, string? DetailsError, JsonElement? Reviews, string? ReviewsError);

/// <summary>Calls details and reviews the way bookinfo's productpage does.</summary>
internal sealed class ProductClient(IHttpClientFactory clients, ILogger<ProductClient> logger)
{
    // bookinfo's productpage gives reviews 3 s per try and tries twice.
    private static readonly TimeSpan ReviewsTimeout = TimeSpan.FromSeconds(3);
    private const int ReviewsTries = 2;
    private static readonly TimeSpan DetailsTimeout = TimeSpan.FromSeconds(3);

    public async Task<Product> GetAsync(int id, string? user, bool sentiment, CancellationToken cancellationToken)
    {
        var details = GetJsonAsync("details", $"/details/{id}", user, DetailsTimeout, tries: 1, cancellationToken);
        var reviews = GetJsonAsync("reviews", sentiment ? $"/reviews/{id}?sentiment=true" : $"/reviews/{id}", user, ReviewsTimeout, ReviewsTries, cancellationToken);
        var (detailsJson, detailsStatus) = await details;
        var (reviewsJson, reviewsStatus) = await reviews;
        return new Product(
            id,
            user,
            detailsJson,
            detailsJson is null ? $"Error fetching product details! ({detailsStatus})" : null,
            reviewsJson,
            reviewsJson is null ? $"Sorry, product reviews are currently unavailable for this book. ({reviewsStatus})" : null);
    }

    private async Task<(JsonElement? Json, string Status)> GetJsonAsync(
        string service, string path, string? user, TimeSpan timeout, int tries, CancellationToken cancellationToken)
    {
        var status = "no answer";
        for (var attempt = 1; attempt <= tries; attempt++)
        {
            using var perTry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            perTry.CancelAfter(timeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (user is not null)
                {
                    request.Headers.TryAddWithoutValidation("end-user", user);
                }

                using var response = await clients.CreateClient(service).SendAsync(request, perTry.Token);
                if (response.IsSuccessStatusCode)
                {
                    return (await response.Content.ReadFromJsonAsync<JsonElement>(perTry.Token), "200");
                }

                status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                status = ex is OperationCanceledException ? "timeout" : "connection error";
            }

            logger.LogWarning("{Service} try {Attempt}/{Tries} failed: {Status}", service, attempt, tries, status);
        }

        return (null, status);
    }
}

internal static class Page
{
    public const string Index = """
        <!DOCTYPE html><html><head><title>Simple Bookstore App</title></head><body>
        <h1>Simple Bookstore App</h1>
        <p>Click on one of the links below to auto generate API calls and see the mesh at work.</p>
        <ul>
          <li><a href="/productpage?user=">Normal user</a></li>
          <li><a href="/productpage?user=jason">Test user (jason)</a></li>
          <li><a href="/api/v1/products/0">JSON API</a></li>
        </ul>
        </body></html>
        """;

    public static string Render(Product product)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><title>Simple Bookstore App</title></head><body>");
        html.Append("<h1>The Comedy of Errors</h1>");
        html.Append(product.User is null
            ? "<p id=\"user\">Not signed in. <a href=\"/productpage?user=jason\">Sign in as jason</a></p>"
            : $"<p id=\"user\">Signed in as <b>{WebUtility.HtmlEncode(product.User)}</b>. <a href=\"/productpage?user=\">Sign out</a></p>");

        html.Append("<h2>Book Details</h2>");
        if (product.Details is { } details)
        {
            html.Append("<dl id=\"details\">");
            foreach (var field in new[] { "type", "pages", "publisher", "language", "isbn10", "isbn13" })
            {
                html.Append($"<dt>{field}</dt><dd>{WebUtility.HtmlEncode(details.GetProperty(field).ToString())}</dd>");
            }

            html.Append("</dl>");
        }
        else
        {
            html.Append($"<p id=\"details-error\">{WebUtility.HtmlEncode(product.DetailsError)}</p>");
        }

        html.Append("<h2>Book Reviews</h2>");
        if (product.Reviews is { } reviews)
        {
            html.Append($"<p id=\"reviews-served-by\">Reviews served by: {WebUtility.HtmlEncode(reviews.GetProperty("podname").GetString())}</p>");
            foreach (var review in reviews.GetProperty("reviews").EnumerateArray())
            {
                html.Append($"<blockquote><p>{WebUtility.HtmlEncode(review.GetProperty("text").GetString())}</p><small>{WebUtility.HtmlEncode(review.GetProperty("reviewer").GetString())}</small>");
                if (review.TryGetProperty("sentiment", out var sentiment) && sentiment.GetString() is { } verdict)
                {
                    html.Append($"<p class=\"sentiment\">Sentiment: {WebUtility.HtmlEncode(verdict)}</p>");
                }

                if (review.TryGetProperty("rating", out var rating) && rating.ValueKind == JsonValueKind.Object)
                {
                    if (rating.GetProperty("error").GetString() is { } error)
                    {
                        html.Append($"<p class=\"ratings-error\">{WebUtility.HtmlEncode(error)}</p>");
                    }
                    else
                    {
                        var color = rating.GetProperty("color").GetString();
                        var stars = rating.GetProperty("stars").GetInt32();
                        html.Append($"<p class=\"stars\" data-color=\"{color}\" style=\"color:{color}\">{new string('★', stars)}{new string('☆', 5 - stars)}</p>");
                    }
                }

                html.Append("</blockquote>");
            }
        }
        else
        {
            html.Append($"<p id=\"reviews-error\">{WebUtility.HtmlEncode(product.ReviewsError)}</p>");
        }

        html.Append("</body></html>");
        return html.ToString();
    }
}
