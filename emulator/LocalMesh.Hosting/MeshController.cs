using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// The mesh's control plane in the AppHost: compiles and validates the model before anything
/// starts, starts the data plane and its helpers (<see cref="SidecarWiring"/> points callers at
/// their sidecars, <see cref="WorkloadWatcher"/> feeds the data plane the replicas as they become
/// ready, <see cref="MeshDashboard"/> shows all of it, <see cref="ConfigurationFilesWatcher"/>
/// applies saved Istio files), and stops it with the AppHost.
/// </summary>
internal sealed class MeshController(
    IServiceProvider services,
    DistributedApplicationExecutionContext executionContext,
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    IConfiguration configuration,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private MeshServer? _server;
    private MeshTelemetryExporter? _telemetry;
    private ILoggerFactory? _dataPlaneLogs;
    private ConfigurationFilesWatcher? _files;
    private int _disposed;

    /// <summary>Runtime control of the mesh, once started (run mode only).</summary>
    public MeshControl? Control { get; private set; }

    public async Task StartAsync(DistributedApplicationModel model, CancellationToken cancellationToken)
    {
        if (!executionContext.IsRunMode)
        {
            return;
        }

        var resource = model.Resources.OfType<MeshResource>().Single();
        var mesh = MeshModelCompiler.Compile(model, resource);
        _telemetry = MeshTelemetryExporter.Start(resource.Name, services, configuration);
        var logs = new MeshResourceLogs(resourceLogs, [.. model.Resources], resource, loggerFactory, _telemetry);
        _dataPlaneLogs = logs.CreateFactory();
        var log = _dataPlaneLogs.CreateLogger(MeshLogCategories.Mesh);
        foreach (var notice in mesh.Notices)
        {
            log.LogWarning("{Notice}", notice);
        }

        foreach (var warning in mesh.Warnings)
        {
            log.LogWarning("{Warning}", warning);
        }

        var functions = new FunctionProcesses([.. model.Resources.OfType<FunctionResource>()], resourceLogs, executionContext, log);
        if (functions.MissingBuilds().ToList() is { Count: > 0 } missing)
        {
            throw new MeshModelException(missing);
        }

        _server = await MeshServer.StartAsync(
            mesh.Config,
            new MeshServerOptions { LoggerFactory = _dataPlaneLogs, FunctionLauncher = functions.Launcher },
            cancellationToken);
        Control = new MeshControl(_server) { SourceOf = mesh.SourceOf };

        SidecarWiring.AllocateEndpoints(model, _server);
        foreach (var call in mesh.Calls)
        {
            SidecarWiring.RouteThroughSidecar(call.Caller, call.Callee, _server.Addresses[call.Listener.Name]);
        }

        if (mesh.Injected.Count > 0)
        {
            // Istio's injection says nothing; a newcomer still wants to know what the one line did.
            log.LogInformation("Sidecars injected (WithAutomaticSidecars): {Workloads}; calls through the mesh: {Calls}.",
                string.Join(", ", mesh.Workloads.Where(w => mesh.Injected.Contains(w.Resource)).Select(w => w.Workload.Replicas == 1 ? w.Workload.Name : $"{w.Workload.Name} ×{w.Workload.Replicas}")),
                mesh.Calls.Length == 0 ? "none" : string.Join(", ", mesh.Calls.Select(call => $"{call.Caller.Name} → {call.Callee.Name}")));
        }

        foreach (var gateway in model.Resources.OfType<IngressGatewayResource>())
        {
            log.LogInformation("Ingress gateway '{Gateway}' listening on {Url}, serving {Routes}; it answers once every workload is ready.",
                gateway.Name, gateway.GetEndpoint(IngressGatewayResource.EndpointName).Url, MeshDashboard.Serves(mesh.Config, gateway));
        }

        var dashboard = new MeshDashboard(notifications, model, resource, _server, Control, log, mesh.RuleSources);
        if (resource.Annotations.OfType<MeshConfigurationFilesAnnotation>().Any())
        {
            _files = new ConfigurationFilesWatcher(model, resource, Control, log, (errors, sources) => _ = dashboard.ConfigurationChangedAsync(errors, sources));
        }

        _server.State.Changed += snapshot => _ = dashboard.PublishAsync(snapshot);
        _server.EjectionsChanged += dashboard.OnEjectionsChanged;
        _server.Functions.Changed += () => _ = dashboard.PublishServerlessAsync();
        _server.Events.Delivered += record => _ = dashboard.PublishServerlessAsync();
        await dashboard.PublishServerlessAsync();
        await dashboard.PublishAsync(_server.State.Snapshot);
        var watcher = new WorkloadWatcher(notifications, mesh, _server);
        _ = Task.Run(() => watcher.WatchAsync(_stopping.Token), CancellationToken.None);
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    async Task IHostedService.StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered both as a singleton and as a hosted service, so the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _files?.Dispose();
        _dataPlaneLogs?.Dispose();
        _telemetry?.Dispose();
        _stopping.Dispose();
    }
}
