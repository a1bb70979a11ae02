// productpage: the book's page. It calls details and reviews over HTTP and inventory over gRPC
// (all through the mesh), forwards the signed-in user as the `end-user` header (gRPC metadata for
// inventory), and renders HTML or JSON.
using System.Net;
using System.Text;
using System.Text.Json;
using Bookinfo.Inventory;
using Grpc.Core;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

builder.Services.AddHttpClient("details", client => client.BaseAddress = new Uri("http://details"));
builder.Services.AddHttpClient("reviews", client => client.BaseAddress = new Uri("http://reviews"));
// One gRPC channel (one HTTP/2 connection to the sidecar); the mesh balances each call over inventory's replicas.
builder.Services.AddGrpcClient<Inventory.InventoryClient>(options => options.Address = new Uri("http://inventory"));
builder.Services.AddSingleton<ProductClient>();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseWebSockets();

// Pages answer HEAD too (a browser or a checker may ask); Kestrel leaves the body out.
string[] page = [HttpMethods.Get, HttpMethods.Head];
app.MapMethods("/", page, () => Results.Content(Page.Index, "text/html", Encoding.UTF8));
app.MapMethods("/static/bookinfo.css", page, () => Results.Text(Page.Stylesheet, "text/css", Encoding.UTF8));

app.MapMethods("/productpage", page, async (HttpContext context, ProductClient products) =>
{
    var user = UserSession.Resolve(context);
    var product = await products.GetAsync(0, user, WantsSentiment(context), context.RequestAborted);
    return Results.Content(Page.Render(product), "text/html", Encoding.UTF8);
});

// bookinfo's sign-in: a form post with the user name sets the session, as ?user= does; the
// gateway files of Istio's bookinfo expose both paths.
app.MapPost("/login", async (HttpContext context) =>
{
    var form = await context.Request.ReadFormAsync(context.RequestAborted);
    UserSession.SignIn(context, form["username"].ToString());
    return Results.Redirect("/productpage");
}).DisableAntiforgery();
app.MapGet("/logout", (HttpContext context) =>
{
    UserSession.SignIn(context, "");
    return Results.Redirect("/productpage");
});

app.MapGet("/api/v1/products/{id:int}", async (int id, HttpContext context, ProductClient products) =>
    Results.Ok(await products.GetAsync(id, UserSession.Resolve(context), WantsSentiment(context), context.RequestAborted)));

// The product, live: a WebSocket that answers each message with the product as it is now (details
// and reviews fetched through the mesh each time), as a page that refreshes itself would use.
app.Map("/api/v1/products/{id:int}/live", async (int id, HttpContext context, ProductClient products) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        return Results.BadRequest("Connect with a WebSocket; each message is answered with the product as JSON.");
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    var user = UserSession.Resolve(context);
    var buffer = new byte[1024];
    while (!context.RequestAborted.IsCancellationRequested)
    {
        var message = await socket.ReceiveAsync(buffer, context.RequestAborted);
        if (message.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
        {
            await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            break;
        }

        var product = await products.GetAsync(id, user, WantsSentiment(context), context.RequestAborted);
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(product, JsonSerializerOptions.Web), System.Net.WebSockets.WebSocketMessageType.Text, true, context.RequestAborted);
    }

    return Results.Empty;
});

// A new review goes to reviews, which publishes it as an event.
app.MapPost("/api/v1/products/{id:int}/reviews", async (int id, HttpContext context, IHttpClientFactory clients) =>
{
    using var body = new StreamContent(context.Request.Body);
    body.Headers.ContentType = new("application/json");
    using var response = await clients.CreateClient("reviews").PostAsync($"/reviews/{id}", body, context.RequestAborted);
    return Results.Content(await response.Content.ReadAsStringAsync(context.RequestAborted), "application/json", statusCode: (int)response.StatusCode);
});

// The book's stock as it changes: inventory's server stream, read to its end through the mesh.
app.MapGet("/api/v1/products/{id:int}/stock/updates", async (int id, int? updates, HttpContext context, Inventory.InventoryClient inventory) =>
{
    try
    {
        using var call = inventory.WatchStock(
            new StockRequest { ProductId = id, Updates = updates ?? 3 }, ProductClient.Metadata(UserSession.Resolve(context)), cancellationToken: context.RequestAborted);
        var seen = new List<StockView>();
        await foreach (var stock in call.ResponseStream.ReadAllAsync(context.RequestAborted))
        {
            seen.Add(StockView.From(stock));
        }

        return Results.Ok(seen);
    }
    catch (RpcException ex)
    {
        return Results.Problem($"{ex.StatusCode}: {ex.Status.Detail}", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
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
            return SignIn(context, fromQuery.ToString());
        }

        return context.Request.Cookies.TryGetValue("user", out var fromCookie) && fromCookie.Length > 0 ? fromCookie : null;
    }

    /// <summary>Remembers <paramref name="user"/> in the session cookie; an empty name signs out.</summary>
    public static string? SignIn(HttpContext context, string user)
    {
        if (user.Length == 0)
        {
            context.Response.Cookies.Delete("user");
            return null;
        }

        context.Response.Cookies.Append("user", user, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax });
        return user;
    }
}

internal sealed record Product(
    int Id, string? User, JsonElement? Details, string? DetailsError, JsonElement? Reviews, string? ReviewsError, StockView? Stock = null, string? StockError = null);

/// <summary>What the page shows of inventory's answer.</summary>
internal sealed record StockView(int Available, string Warehouse, string ServedBy)
{
    public static StockView From(Stock stock) => new(stock.Available, stock.Warehouse, stock.ServedBy);
}

/// <summary>Calls details and reviews the way bookinfo's productpage does, and inventory over gRPC.</summary>
internal sealed class ProductClient(IHttpClientFactory clients, Inventory.InventoryClient inventory, ILogger<ProductClient> logger)
{
    private static readonly TimeSpan StockDeadline = TimeSpan.FromSeconds(3);

    // bookinfo's productpage gives reviews 3 s per try and tries twice.
    private static readonly TimeSpan ReviewsTimeout = TimeSpan.FromSeconds(3);
    private const int ReviewsTries = 2;
    private static readonly TimeSpan DetailsTimeout = TimeSpan.FromSeconds(3);

    public async Task<Product> GetAsync(int id, string? user, bool sentiment, CancellationToken cancellationToken)
    {
        var details = GetJsonAsync("details", $"/details/{id}", user, DetailsTimeout, tries: 1, cancellationToken);
        var reviews = GetJsonAsync("reviews", sentiment ? $"/reviews/{id}?sentiment=true" : $"/reviews/{id}", user, ReviewsTimeout, ReviewsTries, cancellationToken);
        var stock = GetStockAsync(id, user, cancellationToken);
        var (detailsJson, detailsStatus) = await details;
        var (reviewsJson, reviewsStatus) = await reviews;
        var (stockView, stockError) = await stock;
        return new Product(
            id,
            user,
            detailsJson,
            detailsJson is null ? $"Error fetching product details! ({detailsStatus})" : null,
            reviewsJson,
            reviewsJson is null ? $"Sorry, product reviews are currently unavailable for this book. ({reviewsStatus})" : null,
            stockView,
            stockError);
    }

    /// <summary>The signed-in user as gRPC metadata, as the <c>end-user</c> header goes to HTTP services.</summary>
    public static Metadata? Metadata(string? user) => user is null ? null : new Metadata { { "end-user", user } };

    private async Task<(StockView? Stock, string? Error)> GetStockAsync(int id, string? user, CancellationToken cancellationToken)
    {
        try
        {
            var stock = await inventory.GetStockAsync(new StockRequest { ProductId = id }, Metadata(user), DateTime.UtcNow + StockDeadline, cancellationToken);
            return (StockView.From(stock), null);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("inventory failed: {Status} {Detail}", ex.StatusCode, ex.Status.Detail);
            return (null, $"Stock is currently unavailable for this book. ({ex.StatusCode}: {ex.Status.Detail})");
        }
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

/// <summary>bookinfo's pages: a navigation bar, the book, its details on the left and its reviews on the right.</summary>
internal static class Page
{
    private const string Head = """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Simple Bookstore App</title><link rel="stylesheet" href="/static/bookinfo.css"></head><body>
        """;

    /// <summary>Served by productpage itself: the page works with no network beyond the mesh.</summary>
    public const string Stylesheet = """
        body { margin: 0; font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; font-size: 14px; color: #333; background: #fff; }
        nav { background: #222; color: #9d9d9d; padding: 0 15px; height: 50px; display: flex; align-items: center; justify-content: space-between; }
        nav .brand { color: #fff; font-size: 18px; text-decoration: none; }
        nav a { color: #9d9d9d; text-decoration: none; }
        nav a:hover, nav b { color: #fff; }
        nav p { margin: 0; }
        .container { max-width: 1140px; margin: 0 auto; padding: 0 15px; }
        h1 { text-align: center; font-weight: 500; font-size: 30px; margin: 24px 0 10px; }
        .summary { text-align: center; max-width: 760px; margin: 0 auto 20px; line-height: 1.5; }
        .row { display: flex; flex-wrap: wrap; gap: 30px; }
        .row > section { flex: 1 1 320px; }
        h2 { font-weight: 500; font-size: 24px; margin: 20px 0 10px; }
        dl { display: grid; grid-template-columns: max-content auto; gap: 6px 16px; margin: 0; }
        dt { font-weight: bold; }
        dd { margin: 0; }
        blockquote { margin: 0 0 20px; padding: 10px 20px; border-left: 5px solid #eee; font-size: 17px; }
        blockquote small { display: block; color: #777; font-size: 80%; }
        blockquote small:before { content: "— "; }
        .stars { font-size: 20px; margin: 4px 0 0; letter-spacing: 2px; }
        .served-by, .sentiment { color: #777; font-size: 12px; }
        .error { color: #a94442; background: #f2dede; border: 1px solid #ebccd1; border-radius: 4px; padding: 10px 15px; }
        ul.links { line-height: 2; }
        """;

    public const string Index = Head + """
        <nav><a class="brand" href="/">BookInfo Sample</a></nav>
        <div class="container"><h1>Simple Bookstore App</h1>
        <p class="summary">Click on one of the links below to auto generate API calls and see the mesh at work.</p>
        <ul class="links">
          <li><a href="/productpage?user=">Normal user</a></li>
          <li><a href="/productpage?user=jason">Test user (jason)</a></li>
          <li><a href="/api/v1/products/0">JSON API</a></li>
        </ul></div>
        </body></html>
        """;

    public static string Render(Product product)
    {
        var html = new StringBuilder(Head);
        html.Append("<nav><a class=\"brand\" href=\"/\">BookInfo Sample</a>");
        html.Append(product.User is null
            ? "<p id=\"user\">Not signed in. <a href=\"/productpage?user=jason\">Sign in as jason</a></p>"
            : $"<p id=\"user\">Signed in as <b>{WebUtility.HtmlEncode(product.User)}</b>. <a href=\"/productpage?user=\">Sign out</a></p>");
        html.Append("</nav><div class=\"container\">");
        html.Append("<h1>The Comedy of Errors</h1>");
        html.Append("<p class=\"summary\">Summary: <i>The Comedy of Errors</i> is one of William Shakespeare's early plays. It is his shortest and one of his most farcical comedies, ");
        html.Append("with a major part of the humour coming from slapstick and mistaken identity, in addition to puns and word play.</p>");
        html.Append("<div class=\"row\"><section>");

        html.Append("<h2>Book Details</h2>");
        if (product.Details is { } details)
        {
            html.Append("<dl id=\"details\">");
            foreach (var (field, label) in new[] { ("type", "Type"), ("pages", "Pages"), ("publisher", "Publisher"), ("language", "Language"), ("isbn10", "ISBN-10"), ("isbn13", "ISBN-13") })
            {
                html.Append($"<dt>{label}</dt><dd>{WebUtility.HtmlEncode(details.GetProperty(field).ToString())}</dd>");
            }

            html.Append("</dl>");
            if (details.TryGetProperty("cache", out var cache))
            {
                html.Append($"<p id=\"details-cache\" class=\"served-by\">Details cache: {WebUtility.HtmlEncode(cache.GetString())}</p>");
            }
        }
        else
        {
            html.Append($"<p id=\"details-error\" class=\"error\">{WebUtility.HtmlEncode(product.DetailsError)}</p>");
        }

        if (product.Stock is { } stock)
        {
            html.Append($"<p id=\"stock\">In stock: <b>{stock.Available}</b> ({WebUtility.HtmlEncode(stock.Warehouse)})</p>");
            html.Append($"<p id=\"stock-served-by\" class=\"served-by\">Stock served by: {WebUtility.HtmlEncode(stock.ServedBy)}</p>");
        }
        else
        {
            html.Append($"<p id=\"stock-error\" class=\"error\">{WebUtility.HtmlEncode(product.StockError)}</p>");
        }

        html.Append("</section><section>");
        html.Append("<h2>Book Reviews</h2>");
        if (product.Reviews is { } reviews)
        {
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
                        html.Append($"<p class=\"ratings-error error\">{WebUtility.HtmlEncode(error)}</p>");
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

            html.Append($"<p id=\"reviews-served-by\" class=\"served-by\">Reviews served by: {WebUtility.HtmlEncode(reviews.GetProperty("podname").GetString())}</p>");
        }
        else
        {
            html.Append($"<p id=\"reviews-error\" class=\"error\">{WebUtility.HtmlEncode(product.ReviewsError)}</p>");
        }

        html.Append("</section></div></div></body></html>");
        return html.ToString();
    }
}
