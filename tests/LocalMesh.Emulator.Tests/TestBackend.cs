using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Tests;

/// <summary>What an application received.</summary>
internal sealed record ReceivedRequest(string Method, string Path, string Host, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A real HTTP application on 127.0.0.1. By default it answers with its name and echoes the
/// headers the mesh is responsible for; a test may give it another behaviour. It records every
/// request it receives.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _received;

    private TestBackend(WebApplication app, string name, Uri address, ConcurrentQueue<ReceivedRequest> received)
    {
        _app = app;
        Name = name;
        Address = address;
        _received = received;
    }

    public string Name { get; }

    public Uri Address { get; }

    /// <summary>Every request that reached the application, in order.</summary>
    public IReadOnlyCollection<ReceivedRequest> Received => _received;

    /// <summary>Starts the application; over HTTPS only with <paramref name="certificate"/>.</summary>
    public static async Task<TestBackend> StartAsync(string name, Func<HttpContext, Task>? behaviour = null, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        app.UseWebSockets();
        var received = new ConcurrentQueue<ReceivedRequest>();
        app.Run(async context =>
        {
            received.Enqueue(new ReceivedRequest(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Request.Host.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
            context.Response.Headers["x-backend"] = name;
            foreach (var header in new[] { "x-request-id", "traceparent", "end-user" })
            {
                context.Response.Headers[$"x-echo-{header}"] = context.Request.Headers[header].ToString();
            }

            if (behaviour is not null)
            {
                await behaviour(context);
                return;
            }

            await context.Response.WriteAsync(name);
        });
        await app.StartAsync();
        return new TestBackend(app, name, new Uri(app.Urls.Single()), received);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
