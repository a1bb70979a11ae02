using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Listeners;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.Serverless;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// The running mesh in the AppHost, started by <see cref="MeshSubscriber"/>: compiles and
/// validates the model before anything starts, starts the data plane, hands each job to its own
/// helper (<see cref="SidecarWiring"/> points callers at their sidecars, <see cref="MeshDashboard"/>
/// shows all of it, <see cref="ConfigurationFilesWatcher"/> applies saved Istio files, and the
/// watchers <see cref="MeshWatchers"/> runs — <see cref="WorkloadWatcher"/> feeds the data plane the
/// replicas (and their processes) as they become ready, <see cref="CrashRestarts"/> starts crashed
/// replicas again, <see cref="AlertWatcher"/> shows alerts), and is disposed with the app. A model
/// mistake stops a standalone AppHost before anything starts: one message, exit code 1, and the
/// host's own orderly stop.
/// </summary>
internal sealed class MeshRuntime(
    IServiceProvider services,
    DistributedApplicationExecutionContext executionContext,
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<(IReadOnlyList<MeshWatcher>, ILogger)> _watchers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MeshServer? _server;
    private MeshTelemetryExporter? _telemetry;
    private ILoggerFactory? _dataPlaneLogs;
    private ConfigurationFilesWatcher? _files;
    private PrometheusResource? _prometheus;

    /// <summary>Runtime control of the mesh, once started.</summary>
    public MeshControl? Control { get; private set; }

    /// <summary>The watchers to run while the app runs (by <see cref="MeshWatchers"/>), with the log they report on, once the mesh has started.</summary>
    public Task<(IReadOnlyList<MeshWatcher> Watchers, ILogger Log)> Watchers => _watchers.Task;

    public async Task StartAsync(DistributedApplicationModel model, CancellationToken cancellationToken)
    {
        try
        {
            await StartMeshAsync(model, cancellationToken);
        }
        catch (Exception error) when (error is MeshModelException or ListenersUnavailableException && IsAppHostProcess())
        {
            // Before DCP has started anything: one clear message and exit code 1, not an unhandled
            // exception's stack trace (what Aspire makes of a failed BeforeStartEvent). The library does
            // not end the process: the orchestrator is left nothing to start and the host stops itself.
            Console.Error.WriteLine(error.Message);
            foreach (var warning in (error as MeshModelException)?.Warnings ?? [])
            {
                Console.Error.WriteLine($"  warning: {warning}");
            }

            Environment.ExitCode = 1;
            model.Resources.Clear();
            lifetime.StopApplication();
        }
    }

    /// <summary>
    /// Whether this process is an AppHost run by itself (<c>dotnet run</c>, F5), which the mesh may
    /// end, rather than a test host that starts one and wants the exception. The AppHost SDK marks
    /// an AppHost's assembly with its project's path.
    /// </summary>
    private static bool IsAppHostProcess() =>
        System.Reflection.Assembly.GetEntryAssembly()?.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), inherit: false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>().Any(metadata => metadata.Key == "apphostprojectpath") == true;

    private async Task StartMeshAsync(DistributedApplicationModel model, CancellationToken cancellationToken)
    {
        var resource = model.Resources.OfType<MeshResource>().Single();
        var mesh = MeshModelCompiler.CompileAndCheck(model, resource);
        _telemetry = MeshTelemetryExporter.Start(resource.Name, services, configuration);
        var logs = new MeshResourceLogs(resourceLogs, [.. model.Resources], resource, loggerFactory, _telemetry);
        _dataPlaneLogs = logs.CreateFactory();
        var log = _dataPlaneLogs.CreateLogger(MeshLogCategories.Mesh);
        var notices = CallerProcesses.IsSupported ? mesh.Notices
            : [.. mesh.Notices, new MeshNotice(MeshNotice.Istio, "outbound sidecars trust every local process here: only on Linux does each check that a connection comes from its workload's processes.")];
        foreach (var line in notices.Select(notice => notice.ToString()).Concat(mesh.Warnings))
        {
            log.LogWarning("{Warning}", line);
        }

        var functions = new FunctionProcesses([.. model.Resources.OfType<FunctionResource>()], resourceLogs, executionContext);
        if (functions.MissingBuilds().ToList() is { Count: > 0 } missing)
        {
            throw new MeshModelException(missing);
        }

        _server = await MeshServer.StartAsync(
            mesh.Config,
            new MeshServerOptions
            {
                LoggerFactory = _dataPlaneLogs,
                // The app's meter factory owns the mesh's meter, as ASP.NET Core's own meters are owned.
                MeterFactory = services.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                FunctionLauncher = FunctionLauncher(mesh, functions, log),
                // A port the system chooses unless the AppHost's configuration fixes one (e.g. Envoy's 15090) for a Prometheus to scrape.
                MetricsPort = configuration.GetValue<int?>("LocalMesh:MetricsPort") ?? 0,
            },
            cancellationToken);
        Control = new MeshControl(_server) { SourceOf = mesh.SourceOf };

        SidecarWiring.AllocateEndpoints(model, _server);
        foreach (var call in mesh.Calls)
        {
            SidecarWiring.RouteThroughSidecar(call.Caller, call.Callee, _server.Addresses[call.Listener.Name]);
        }

        // A machine behind a proxy of its own (a company's) keeps it: the egress listeners do not
        // chain to it, so taking the workloads' calls out of it would cut them off the internet.
        if (SidecarWiring.MachineProxy() is { } machineProxy)
        {
            log.LogWarning("Differs from Istio: this machine sends HTTP through its own proxy ({Proxy}), which the workloads keep; their calls to hosts outside the mesh do not pass their sidecars, so ServiceEntries, their rules and REGISTRY_ONLY do not apply to them locally.", machineProxy);
        }
        else
        {
            foreach (var (workloadResource, workload) in mesh.Workloads)
            {
                SidecarWiring.UseEgressProxy(workloadResource, _server.Addresses[ListenerConfig.Egress(workload.Name).Name]);
            }

            functions.EgressProxies = mesh.Config.Workloads.Where(workload => workload.Scaling is not null)
                .ToDictionary(revision => revision.Name, revision => _server.Addresses[ListenerConfig.Egress(revision.Name).Name], StringComparer.Ordinal);
        }

        foreach (var (exposed, listener) in mesh.Exposed)
        {
            SidecarWiring.ShowThroughGateway(exposed, _server.Addresses[listener.Name]);
        }

        _prometheus = model.Resources.OfType<PrometheusResource>().SingleOrDefault(prometheus => prometheus.Parent == resource);
        if (_prometheus is not null)
        {
            LocalPrometheus.WriteConfiguration(_prometheus, _server.MetricsAddress!, mesh.AlertRules.Files(resource.Namespace));
        }

        Announce(model, mesh, log);
        var dashboard = new MeshDashboard(notifications, model, resource, _server, Control, log, mesh);
        if (resource.Annotations.OfType<ConfigurationFilesAnnotation>().Any())
        {
            _files = new ConfigurationFilesWatcher(mesh.Topology, Control, log, (errors, sources) => _ = dashboard.ConfigurationChangedAsync(errors, sources),
                _prometheus is not { } prometheus ? null : rules =>
                {
                    if (LocalPrometheus.WriteConfiguration(prometheus, _server.MetricsAddress!, rules.Files(resource.Namespace)))
                    {
                        _ = LocalPrometheus.ReloadAsync(prometheus, log);
                    }
                });
        }

        await dashboard.AttachAsync();
        var restarts = new CrashRestarts(notifications, services.GetRequiredService<ResourceCommandService>(), mesh, TimeProvider.System, log)
        {
            InitialBackoff = configuration.GetValue("LocalMesh:RestartBackoff", CrashRestarts.DefaultInitialBackoff),
        };
        var alerts = new AlertWatcher(notifications, resource, _prometheus, [.. model.Resources.OfType<MeshServiceResource>(), .. mesh.Injected], log);
        _watchers.SetResult(([
            new MeshWatcher("readiness watcher", new WorkloadWatcher(notifications, mesh, _server).WatchAsync),
            new MeshWatcher("crash restarts", restarts.WatchAsync),
            new MeshWatcher("alert watcher", alerts.WatchAsync),
        ], log));
        lifetime.ApplicationStopping.Register(_stopping.Cancel);
    }

    /// <summary>
    /// How function instances start: through the orchestrator when an IDE runs the AppHost (so each is
    /// launched under its debugger), else as processes of the mesh's own, which start fastest.
    /// </summary>
    private IFunctionLauncher FunctionLauncher(CompiledMesh mesh, FunctionProcesses functions, ILogger log)
    {
        var revisions = mesh.Config.Workloads.Where(workload => workload.Scaling is not null).ToList();
        if (revisions.Count == 0 || !OrchestratedFunctionLauncher.IsWanted(configuration))
        {
            return functions.Launcher;
        }

        log.LogInformation("Function instances start through the orchestrator, each a resource under its revision ({Examples}, ...){How}.",
            string.Join(", ", revisions.Take(2).Select(revision => $"{revision.Name}-1")),
            string.IsNullOrEmpty(configuration["DEBUG_SESSION_PORT"]) ? " (LocalMesh:FunctionInstances)" : ": the IDE runs each one, so a breakpoint in a function's code is hit");
        return OrchestratedFunctionLauncher.Add(revisions, functions, notifications, services.GetRequiredService<ResourceCommandService>(), _stopping.Token);
    }

    /// <summary>Says what the mesh made of the model: what was injected, and where traffic from outside enters.</summary>
    private void Announce(DistributedApplicationModel model, CompiledMesh mesh, ILogger log)
    {
        if (mesh.Injected.Count > 0)
        {
            // Istio's injection says nothing; a newcomer still wants to know what the one line did.
            log.LogInformation("Sidecars injected (WithAutomaticSidecars): {Workloads}; calls through the mesh: {Calls}.",
                string.Join(", ", mesh.Workloads.Where(w => mesh.Injected.Contains(w.Resource)).Select(w => w.Workload.Replicas == 1 ? w.Workload.Name : $"{w.Workload.Name} ×{w.Workload.Replicas}")),
                mesh.Calls.Length == 0 ? "none" : string.Join(", ", mesh.Calls.Select(call => $"{call.Caller.Name} → {call.Callee.Name}")));
        }

        foreach (var (exposed, listener) in mesh.Exposed)
        {
            log.LogInformation("{Resource} (external endpoint) through ingress gateway '{Gateway}': {Url}",
                exposed.Name, listener.Workload, _server!.Addresses[listener.Name].ToString().TrimEnd('/'));
        }

        log.LogInformation("Mesh metrics (Prometheus): {Url}", _server!.MetricsAddress);
        foreach (var gateway in model.Resources.OfType<IngressGatewayResource>())
        {
            log.LogInformation("Ingress gateway '{Gateway}' listening on {Url}, serving {Routes}; it answers once every workload is ready.",
                gateway.Name, gateway.GetEndpoint(IngressGatewayResource.EndpointName).Url, MeshDashboard.Serves(mesh.Config, gateway, mesh.RuleSources));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _files?.Dispose();
        if (_prometheus is not null)
        {
            LocalPrometheus.Delete(_prometheus);
        }

        _dataPlaneLogs?.Dispose();
        _telemetry?.Dispose();
        _stopping.Dispose();
    }
}
