using System.Net;
using Grpc.Core;
using LocalMesh.Emulator.Tests.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// A real gRPC application on 127.0.0.1 (Grpc.AspNetCore, HTTP/2 only, as a gRPC service serves
/// without TLS): the <c>Echo</c> service answering with its name. A test may make its calls fail.
/// </summary>
internal sealed class GrpcBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcBackend(WebApplication app, EchoBehaviour behaviour)
    {
        _app = app;
        Behaviour = behaviour;
        Address = new Uri(app.Urls.Single());
    }

    public Uri Address { get; }

    public EchoBehaviour Behaviour { get; }

    public static async Task<GrpcBackend> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var behaviour = new EchoBehaviour(name);
        builder.Services.AddSingleton(behaviour);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync();
        return new GrpcBackend(app, behaviour);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>How one backend answers; tests change it while it runs.</summary>
internal sealed class EchoBehaviour(string name)
{
    private int _calls;

    public string Name { get; } = name;

    /// <summary>How many calls failed with <see cref="FailWith"/> before the backend answers normally.</summary>
    public int Failures { get; set; }

    public StatusCode FailWith { get; set; } = StatusCode.Unavailable;

    /// <summary>Calls received, failed or not.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Set when a call's cancellation reached the application.</summary>
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Received()
    {
        if (Interlocked.Increment(ref _calls) <= Failures)
        {
            throw new RpcException(new Status(FailWith, $"{Name} fails on purpose"));
        }
    }
}

internal sealed class EchoService(EchoBehaviour behaviour) : Echo.EchoBase
{
    public override async Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
    {
        behaviour.Received();
        if (request.Text == "slow")
        {
            await Task.Delay(TimeSpan.FromSeconds(5), context.CancellationToken);
        }

        return new EchoReply { Text = request.Text, ServedBy = behaviour.Name };
    }

    public override async Task Countdown(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        behaviour.Received();
        try
        {
            for (var i = request.Count; i > 0; i--)
            {
                await responseStream.WriteAsync(new EchoReply { Text = i.ToString(System.Globalization.CultureInfo.InvariantCulture), ServedBy = behaviour.Name });
                if (request.Text == "slowly")
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), context.CancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            behaviour.Cancelled.TrySetResult();
        }
    }

    public override async Task<EchoReply> Collect(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        behaviour.Received();
        var texts = new List<string>();
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            texts.Add(request.Text);
        }

        return new EchoReply { Text = string.Join(",", texts), ServedBy = behaviour.Name };
    }

    public override async Task Chat(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        behaviour.Received();
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(new EchoReply { Text = request.Text.ToUpperInvariant(), ServedBy = behaviour.Name });
        }
    }
}
