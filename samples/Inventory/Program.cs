// inventory: a gRPC service (HTTP/2 only, as gRPC services serve without TLS) that productpage
// calls through the mesh, once per page and as a stream of updates. v1 counts the Stratford
// warehouse; v2 counts London's too, so a page shows which version answered.
using Bookinfo.Inventory;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2));
builder.Services.AddGrpc();
builder.Services.AddSingleton(new StockBook(builder.Configuration["SERVICE_VERSION"] ?? "v1"));

var app = builder.Build();
app.MapGrpcService<InventoryService>();
app.Run();

/// <summary>The counts this version keeps.</summary>
internal sealed class StockBook(string version)
{
    public string ServedBy { get; } = $"inventory-{version}-{Environment.ProcessId}";

    public Stock For(int productId, int sold = 0) => version == "v2"
        ? new Stock { ProductId = productId, Available = Math.Max(0, 19 - sold), Warehouse = "Stratford and London", ServedBy = ServedBy }
        : new Stock { ProductId = productId, Available = Math.Max(0, 12 - sold), Warehouse = "Stratford", ServedBy = ServedBy };
}

internal sealed class InventoryService(StockBook book) : Inventory.InventoryBase
{
    /// <summary>The most updates one watch sends.</summary>
    private const int MaxUpdates = 20;

    public override Task<Stock> GetStock(StockRequest request, ServerCallContext context) => Task.FromResult(book.For(request.ProductId));

    public override async Task WatchStock(StockRequest request, IServerStreamWriter<Stock> responseStream, ServerCallContext context)
    {
        var updates = Math.Clamp(request.Updates, 1, MaxUpdates);
        for (var sold = 0; sold < updates; sold++)
        {
            if (sold > 0)
            {
                // A copy sells every 100 ms, for the watcher to see the count fall.
                await Task.Delay(TimeSpan.FromMilliseconds(100), context.CancellationToken);
            }

            await responseStream.WriteAsync(book.For(request.ProductId, sold), context.CancellationToken);
        }
    }
}
