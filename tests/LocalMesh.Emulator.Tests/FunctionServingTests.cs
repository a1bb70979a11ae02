using System.Net;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Serverless;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Tests;

/// <summary>A function behind the mesh on real sockets: caller → outbound sidecar → activator → an instance started on demand.</summary>
public sealed class FunctionServingTests : IAsyncLifetime
{
    private readonly BackendLauncher _launcher = new();
    private readonly SpanCollector _spans = new();
    private MeshServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var revision = Functions.Revision(new FunctionScaling { InitialScale = 0, ContainerConcurrency = 1, MaxScale = 1, MaxQueuedRequests = 1 });
        var config = new MeshConfig
        {
            Services = [new MeshServiceConfig("caller"), new MeshServiceConfig("fn")],
            Workloads = [MeshFixtures.Workload("caller", "caller"), revision],
            Listeners = [ListenerConfig.Inbound("caller", 0), ListenerConfig.Inbound(revision.Name, 0), ListenerConfig.Outbound("caller", "fn")],
        };
        _server = await MeshServer.StartAsync(config, new MeshServerOptions { FunctionLauncher = _launcher });
        _client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    }

    private Uri Outbound => _server.Addresses["outbound|caller|fn"];

    [Fact]
    public async Task TheFirstCallStartsAnInstanceAndTheNextOneFindsItWarm()
    {
        Assert.Equal("Idle", _server.Functions.Status.Single().State);

        using var first = await _client.GetAsync(Outbound);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("fn-00001-1", await first.Content.ReadAsStringAsync());
        var spans = await _spans.ForRequestAsync(first.Headers.GetValues("x-echo-x-request-id").Single(), 2);
        Assert.Contains(spans, span => span.GetTagItem(MeshTelemetry.Attributes.Activation) as string == "cold-start");

        using var second = await _client.GetAsync(Outbound);
        var warm = await _spans.ForRequestAsync(second.Headers.GetValues("x-echo-x-request-id").Single(), 2);
        Assert.Contains(warm, span => span.GetTagItem(MeshTelemetry.Attributes.Activation) as string == "warm");
        Assert.Equal(1, _launcher.Started);
        Assert.Equal("Running", _server.Functions.Status.Single().State);
    }

    [Fact]
    public async Task BeyondContainerConcurrencyAndAFullQueueTheActivatorAnswers503()
    {
        _launcher.Behaviour = async context =>
        {
            await _launcher.Release.Task;
            await context.Response.WriteAsync("done");
        };

        var inFlight = _client.GetAsync(Outbound);     // takes the one slot
        await Eventually.TrueAsync(() => _server.Functions.Status.Single().InFlight == 1, TimeSpan.FromSeconds(10));
        var queued = _client.GetAsync(Outbound);       // waits in the activator's queue of one
        await Eventually.TrueAsync(() => _server.Functions.Status.Single().Queued == 1, TimeSpan.FromSeconds(10));

        using var refused = await _client.GetAsync(Outbound);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("requests are already waiting", await refused.Content.ReadAsStringAsync());

        _launcher.Release.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await inFlight).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _spans.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>Starts each instance as an in-process application named after the instance.</summary>
    private sealed class BackendLauncher : IFunctionLauncher
    {
        private int _started;

        public int Started => _started;

        public Func<HttpContext, Task>? Behaviour { get; set; }

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<IFunctionInstance> StartAsync(FunctionInstanceRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            var backend = await TestBackend.StartAsync(request.Name, Behaviour);
            return new Instance(request.Name, backend);
        }

        private sealed class Instance(string name, TestBackend backend) : IFunctionInstance
        {
            private readonly TaskCompletionSource _exited = new();

            public string Name => name;

            public Uri Address => backend.Address;

            public Task Exited => _exited.Task;

            public async ValueTask DisposeAsync()
            {
                await backend.DisposeAsync();
                _exited.TrySetResult();
            }
        }
    }
}
