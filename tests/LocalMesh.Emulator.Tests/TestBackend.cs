using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// A real HTTP application on 127.0.0.1 that answers with its name and echoes the headers the
/// mesh is responsible for, so tests see what the application received.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, string name, Uri address)
    {
        _app = app;
        Name = name;
        Address = address;
    }

    public string Name { get; }

    public Uri Address { get; }

    /// <summary>How many requests reached the application.</summary>
    public int Requests => _requests;

    private int _requests;

    public static async Task<TestBackend> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        TestBackend? backend = null;
        app.Run(async context =>
        {
            Interlocked.Increment(ref backend!._requests);
            context.Response.Headers["x-backend"] = name;
            foreach (var header in new[] { "x-request-id", "traceparent", "end-user" })
            {
                context.Response.Headers[$"x-echo-{header}"] = context.Request.Headers[header].ToString();
            }

            await context.Response.WriteAsync(name);
        });
        await app.StartAsync();
        backend = new TestBackend(app, name, new Uri(app.Urls.Single()));
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
