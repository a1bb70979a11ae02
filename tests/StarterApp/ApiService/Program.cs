// The starter template's API: a weather forecast. It also says which replica answered and who
// called it (the caller's identity, as its inbound sidecar forwards it in x-forwarded-client-cert).
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

var app = builder.Build();
app.MapDefaultEndpoints();

string[] summaries = ["Freezing", "Bracing", "Chilly", "Cool", "Mild", "Warm", "Balmy", "Hot", "Sweltering", "Scorching"];
var replica = Guid.NewGuid().ToString("N")[..8];
app.MapGet("/weatherforecast", (HttpContext context) => new
{
    Replica = replica,
    Caller = context.Request.Headers["x-forwarded-client-cert"].ToString(),
    Forecast = Enumerable.Range(1, 5).Select(day => new
    {
        Date = DateOnly.FromDateTime(DateTime.Now.AddDays(day)),
        TemperatureC = Random.Shared.Next(-20, 55),
        Summary = summaries[Random.Shared.Next(summaries.Length)],
    }),
});

app.Run();
