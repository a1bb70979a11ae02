// redis-cache: a Redis-compatible cache in front of details, spoken to over RESP through the mesh's
// TCP sidecars. Locally it is Microsoft Garnet, embedded in this process (no Docker, nothing to
// install); the export deploys redis:alpine in its place, on 6379 as here.
using Garnet;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddHostedService<GarnetHost>();
builder.Build().Run();

/// <summary>Runs Garnet on loopback at REDIS_PORT (6379 by default) while the host runs.</summary>
internal sealed class GarnetHost(IConfiguration configuration, ILogger<GarnetHost> logger) : IHostedService, IDisposable
{
    private GarnetServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var port = configuration["REDIS_PORT"] ?? "6379";
        _server = new GarnetServer(["--bind", "127.0.0.1", "--port", port]);
        _server.Start();
        logger.LogInformation("redis-cache (Garnet) serving RESP on 127.0.0.1:{Port}", port);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _server?.Dispose();
        _server = null;
    }
}
