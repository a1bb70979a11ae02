using System.Diagnostics.Metrics;
using System.Net;
using LocalMesh.Emulator.CircuitBreaking;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Eventing;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Listeners;
using LocalMesh.Emulator.LoadBalancing;
using LocalMesh.Emulator.Outliers;
using LocalMesh.Emulator.Pipeline;
using LocalMesh.Emulator.Randomness;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.Sockets;
using LocalMesh.Emulator.Serverless;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Tcp;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalMesh.Emulator;

/// <summary>Dependencies of the data plane that tests and hosts replace.</summary>
internal sealed class MeshServerOptions
{
    /// <summary>The clock every time-based decision reads.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How long workload certificates live; they are renewed at half-life.</summary>
    public TimeSpan CertificateLifetime { get; init; } = MeshCertificateAuthority.DefaultWorkloadLifetime;

    /// <summary>The dice every random decision reads.</summary>
    public IMeshRandom Random { get; init; } = SystemMeshRandom.Instance;

    /// <summary>Where the data plane logs.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The host's meter factory, which then owns the mesh's meter; null: the mesh has a meter of its own.</summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>Starts function instances; required when the configuration has function revisions.</summary>
    public IFunctionLauncher? FunctionLauncher { get; init; }

    /// <summary>
    /// The loopback port of the Prometheus endpoint (<c>/stats/prometheus</c>), 0 for one the system
    /// chooses; <c>null</c> serves none.
    /// </summary>
    public int? MetricsPort { get; init; }

    /// <summary>The most connections each listener holds open; more are closed at once and counted.</summary>
    public int MaxConnectionsPerListener { get; init; } = ListenerLimits.DefaultMaxConnections;

    /// <summary>
    /// Whether the TCP service ports' listeners accept their own connections and relay plaintext on
    /// the mesh's event loops (<see cref="EventLoop"/>); where the loops do not run (or false),
    /// Kestrel's socket transport serves them, and the proxy pumps its pipes.
    /// </summary>
    public bool TcpEventLoops { get; init; } = true;
}

/// <summary>
/// The running data plane: every listener of a <see cref="MeshConfig"/> bound on loopback in
/// one Kestrel server, each request going through the stages of <see cref="MeshPipeline"/>.
/// </summary>
internal sealed class MeshServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MeshServer(WebApplication app, MeshState state, IReadOnlyDictionary<string, Uri> addresses)
    {
        _app = app;
        State = state;
        Addresses = addresses;
    }

    /// <summary>Where Prometheus scrapes the mesh's metrics (Envoy's path), when <see cref="MeshServerOptions.MetricsPort"/> asks for it.</summary>
    public const string MetricsPath = "/stats/prometheus";

    /// <summary>The Prometheus endpoint, e.g. <c>http://127.0.0.1:15090/stats/prometheus</c>; null when none is served.</summary>
    public Uri? MetricsAddress { get; private init; }

    /// <summary>The configuration and endpoints the data plane serves from.</summary>
    public MeshState State { get; }

    /// <summary>Each listener's address (<c>http://127.0.0.1:port</c>) by listener name.</summary>
    public IReadOnlyDictionary<string, Uri> Addresses { get; }

    /// <summary>The mesh's certificate authority and the workloads' current certificates.</summary>
    public WorkloadIdentities Identities => _app.Services.GetRequiredService<WorkloadIdentities>();

    /// <summary>The activator and autoscaler of the function revisions.</summary>
    public FunctionActivator Functions => _app.Services.GetRequiredService<FunctionActivator>();

    /// <summary>The sidecars' circuit breakers (connection pools), to see what waits in them.</summary>
    internal CircuitBreakers CircuitBreakers => _app.Services.GetRequiredService<CircuitBreakers>();

    /// <summary>The Knative Eventing brokers: what was delivered where.</summary>
    public EventBroker Events => _app.Services.GetRequiredService<EventBroker>();

    /// <summary>Envoy's idle timeout for a downstream connection with no request in flight (<c>common_http_protocol_options.idle_timeout</c>, 1 h by default).</summary>
    public static readonly TimeSpan DownstreamIdleTimeout = TimeSpan.FromHours(1);

    /// <summary>The processes of each workload, which alone may use its outbound sidecars (checked on Linux).</summary>
    public CallerProcesses CallerProcesses => _app.Services.GetRequiredService<CallerProcesses>();

    /// <summary>The listeners refusing new connections now because they hold their maximum.</summary>
    public IReadOnlySet<string> Overloaded => _app.Services.GetRequiredService<ListenerLimits>().Overloaded;

    /// <summary>The connections <paramref name="listener"/> holds open now (Envoy's <c>downstream_cx_active</c>).</summary>
    public int OpenConnections(string listener) => _app.Services.GetRequiredService<ListenerLimits>().OpenConnections(listener);

    /// <summary>The connections <paramref name="listener"/> has taken since it started (Envoy's <c>downstream_cx_total</c>).</summary>
    internal long TotalConnections(string listener) => _app.Services.GetRequiredService<ListenerLimits>().TotalConnections(listener);

    /// <summary>Raised when a listener starts refusing connections, and when it serves again.</summary>
    public event Action? OverloadChanged
    {
        add => _app.Services.GetRequiredService<ListenerLimits>().OverloadChanged += value;
        remove => _app.Services.GetRequiredService<ListenerLimits>().OverloadChanged -= value;
    }

    /// <summary>The endpoints outlier detection has ejected now, by calling sidecar.</summary>
    public IReadOnlyList<Ejection> Ejections => _app.Services.GetRequiredService<OutlierDetector>().Ejections;

    /// <summary>Raised when an endpoint is ejected, and when it returns.</summary>
    public event Action? EjectionsChanged
    {
        add => _app.Services.GetRequiredService<OutlierDetector>().Changed += value;
        remove => _app.Services.GetRequiredService<OutlierDetector>().Changed -= value;
    }

    /// <summary>Binds every listener of <paramref name="config"/> and starts serving.</summary>
    public static async Task<MeshServer> StartAsync(MeshConfig config, MeshServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MeshServerOptions();
        var state = new MeshState(config);
        var authority = MeshCertificateAuthority.Create(config.TrustDomain, options.TimeProvider);
        var identities = new WorkloadIdentities(authority, options.TimeProvider, options.CertificateLifetime);
        var metrics = new MeshMetrics(options.MeterFactory);
        var meshLog = options.LoggerFactory.CreateLogger(MeshLogCategories.Mesh);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // A library in someone else's process: Ctrl+C and SIGTERM belong to the host, not to the mesh.
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostLifetime, HostedByCaller>());
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(new KestrelLogFilter(options.LoggerFactory)));
        builder.Services.AddSingleton(options.TimeProvider);
        builder.Services.AddSingleton(options.Random);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(identities);
        builder.Services.AddSingleton(new ListenerLimits(meshLog, metrics) { MaxConnections = options.MaxConnectionsPerListener });
        builder.Services.AddSingleton(new CallerProcesses(meshLog, metrics));
        builder.Services.AddSingleton<MutualTlsConnectionMiddleware>();
        builder.Services.AddSingleton(new AccessLog(options.LoggerFactory));
        builder.Services.AddSingleton<PeerRegistry>();
        builder.Services.AddSingleton<InboundAuthorization>();
        builder.Services.AddSingleton<UpstreamConnector>();
        builder.Services.AddSingleton<Http1ConnectionPools>();
        builder.Services.AddSingleton<Http1Forwarder>();
        builder.Services.AddSingleton<Http2Forwarder>();
        builder.Services.AddSingleton<EndpointLoad>();
        builder.Services.AddSingleton<LoadBalancer>();
        builder.Services.AddSingleton<CircuitBreakers>();
        builder.Services.AddSingleton<OutlierDetector>();
        builder.Services.AddSingleton<RouterStage>();
        builder.Services.AddSingleton<BrokerStage>();
        builder.Services.AddSingleton(new EventBroker(state, options.TimeProvider, options.LoggerFactory, metrics));
        builder.Services.AddSingleton(new FunctionActivator(state, options.FunctionLauncher, options.TimeProvider, options.LoggerFactory, metrics));

        var listenOptions = new Dictionary<string, ListenOptions>();
        ListenOptions? metricsListen = null;
        // The listeners below are the only addresses: not the host process's ASPNETCORE_URLS or
        // ASPNETCORE_HTTP(S)_PORTS (which would also make Kestrel warn that it overrides them).
        builder.WebHost.UseUrls();
        builder.WebHost.UseSetting(WebHostDefaults.HttpPortsKey, string.Empty);
        builder.WebHost.UseSetting(WebHostDefaults.HttpsPortsKey, string.Empty);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Envoy's idle timeout for a downstream connection with no request in flight (the HTTP connection manager's default, 1 h).
            kestrel.Limits.KeepAliveTimeout = DownstreamIdleTimeout;
            // Over HTTP/2 the request's :scheme is the caller's (http, also over the sidecars' mutual TLS), as Envoy keeps it.
            kestrel.AllowAlternateSchemes = true;
            foreach (var listener in config.Listeners)
            {
                // Loopback only: the mesh is never reachable from another machine.
                var tcp = IsTcp(config, listener);
                var endPoint = tcp && options.TcpEventLoops && EventLoop.IsSupported ? new OwnSocketTransport.TcpEndPoint(IPAddress.Loopback, listener.Port) : new IPEndPoint(IPAddress.Loopback, listener.Port);
                kestrel.Listen(endPoint, listen =>
                {
                    // HTTP/1.1 and HTTP/2 on every listener, told apart per connection (Envoy's codec_type AUTO).
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    MeshPipeline.BuildConnection(listen, listener, tcp);
                    listenOptions[listener.Name] = listen;
                });
            }

            if (options.MetricsPort is { } metricsPort)
            {
                kestrel.Listen(IPAddress.Loopback, metricsPort, listen => metricsListen = listen);
            }
        });

        builder.Services.AddSingleton<TcpProxy>();
        // After Kestrel's own transport: Kestrel asks the transports last added first.
        builder.Services.AddSingleton<IConnectionListenerFactory, OwnSocketTransport>();
        var app = builder.Build();
        if (options.MetricsPort is not null)
        {
            // The metrics port serves only the scrape, outside the mesh's pipeline.
            var prometheus = new PrometheusMetrics(metrics);
            app.Lifetime.ApplicationStopped.Register(prometheus.Dispose);
            app.UseWhen(context => context.Connection.LocalPort == metricsListen?.IPEndPoint?.Port, scrape => scrape.Run(context =>
            {
                if (context.Request.Path != MetricsPath)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                return context.Response.WriteAsync(prometheus.Render());
            }));
        }

        MeshPipeline.Build(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            // Only an ingress gateway has a fixed port; every other listener takes one the system gives.
            var fixedPorts = string.Join(", ", config.Listeners.Where(l => l.Port != 0).Select(l => $"port {l.Port} (ingress gateway '{l.Workload}')"));
            throw new ListenersUnavailableException(
                $"The mesh could not open its listeners: {ex.Message.TrimEnd('.')}. Its fixed ports: {(fixedPorts.Length == 0 ? "none" : fixedPorts)}. " +
                "Stop whatever holds the port (another run of this app?), or give the gateway another port in the model (AddIngressGateway's port; 0 lets the system choose).", ex);
        }

        // Kestrel writes the bound port back into each ListenOptions.
        var ports = listenOptions.ToDictionary(pair => pair.Key, pair => pair.Value.IPEndPoint!.Port);
        state.SetBoundPorts(ports);
        var addresses = ports.ToDictionary(pair => pair.Key, pair => new Uri($"http://127.0.0.1:{pair.Value}"));
        return new MeshServer(app, state, addresses)
        {
            MetricsAddress = metricsListen?.IPEndPoint is { } metricsEndPoint ? new Uri($"http://127.0.0.1:{metricsEndPoint.Port}{MetricsPath}") : null,
        };
    }

    /// <summary>Whether <paramref name="listener"/> carries a TCP service port: an inbound sidecar of a TCP service's workload, an outbound one to a TCP service, or the service's own address.</summary>
    private static bool IsTcp(MeshConfig config, ListenerConfig listener)
    {
        var service = listener.Kind switch
        {
            ListenerKind.Inbound => config.Workloads.FirstOrDefault(workload => workload.Name == listener.Workload)?.Service,
            ListenerKind.Outbound or ListenerKind.Service => listener.Destination,
            _ => null,
        };
        return service is not null && config.Services.Any(candidate => candidate.Name == service && candidate.Protocol == ServiceProtocol.Tcp);
    }

    /// <summary>Stops every listener, letting in-flight requests finish until <paramref name="cancellationToken"/> fires.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    private sealed class HostedByCaller : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        var authority = Identities.Authority;
        var metrics = _app.Services.GetRequiredService<MeshMetrics>();
        await _app.StopAsync(CancellationToken.None);
        await Events.DisposeAsync();
        await Functions.DisposeAsync();
        await _app.DisposeAsync();
        authority.Dispose();
        metrics.Dispose();
    }
}
