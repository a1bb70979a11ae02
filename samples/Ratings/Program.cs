// ratings: the star ratings of a book, as bookinfo's ratings service serves them.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

var app = builder.Build();
app.MapDefaultEndpoints();

app.MapGet("/ratings/{productId:int}", (int productId) => Results.Ok(new
{
    id = productId,
    ratings = new Dictionary<string, int> { ["Reviewer1"] = 5, ["Reviewer2"] = 4 },
}));

app.Run();
