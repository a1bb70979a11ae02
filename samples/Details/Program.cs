// details: the book's bibliographic facts, as bookinfo's details service serves them.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

var app = builder.Build();
app.MapDefaultEndpoints();

app.MapGet("/details/{productId:int}", (int productId) => Results.Ok(new
{
    id = productId,
    author = "William Shakespeare",
    year = 1595,
    type = "paperback",
    pages = 200,
    publisher = "PublisherA",
    language = "English",
    isbn10 = "1234567890",
    isbn13 = "123-1234567890",
}));

app.Run();
