// The starter template's front end: it calls the API through service discovery, as the template
// writes it (https+http://apiservice), and knows nothing of the mesh.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddHttpClient("api", client => client.BaseAddress = new Uri("https+http://apiservice"));

var app = builder.Build();
app.MapDefaultEndpoints();

app.MapGet("/", () => Results.Content(
    """<!doctype html><title>Weather</title><h1>Weather</h1><p><a href="/weather">The API's forecast</a></p>""", "text/html"));

app.MapGet("/weather", async (IHttpClientFactory clients, CancellationToken cancellationToken) =>
{
    using var response = await clients.CreateClient("api").GetAsync("/weatherforecast", cancellationToken);
    return Results.Content(await response.Content.ReadAsStringAsync(cancellationToken), "application/json", statusCode: (int)response.StatusCode);
});

app.Run();
