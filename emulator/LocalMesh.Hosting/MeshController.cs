using System.Collections.Immutable;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Eventing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// The mesh's control plane in the AppHost: compiles and validates the model before anything
/// starts, starts the data plane, points callers at their sidecars, feeds the data plane the
/// replicas as they become ready, and shows all of it in the dashboard.
/// </summary>
internal sealed class MeshController(
    IServiceProvider services,
    DistributedApplicationExecutionContext executionContext,
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    IConfiguration configuration,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<MeshController>();
    private readonly CancellationTokenSource _stopping = new();
    private MeshServer? _server;
    private MeshTelemetryExporter? _telemetry;
    private CompiledMesh? _mesh;
    private MeshResource? _resource;
    private DistributedApplicationModel? _model;
    private int _disposed;

    /// <summary>Runtime control of the mesh, once started (run mode only).</summary>
    public MeshControl? Control { get; private set; }

    public async Task StartAsync(DistributedApplicationModel model, CancellationToken cancellationToken)
    {
        if (!executionContext.IsRunMode)
        {
            return;
        }

        _model = model;
        _resource = model.Resources.OfType<MeshResource>().Single();
        _mesh = MeshModelCompiler.Compile(model, _resource);
        foreach (var notice in _mesh.Notices)
        {
            _logger.LogWarning("Differs from Istio: {Notice}", notice);
        }

        var functions = new FunctionProcesses([.. model.Resources.OfType<FunctionResource>()], resourceLogs, executionContext, _logger);
        if (functions.MissingBuilds().ToList() is { Count: > 0 } missing)
        {
            throw new MeshModelException(missing);
        }

        _server = await MeshServer.StartAsync(
            _mesh.Config,
            new MeshServerOptions { LoggerFactory = loggerFactory, FunctionLauncher = functions.Launcher },
            cancellationToken);
        _telemetry = MeshTelemetryExporter.Start(_resource.Name, services, configuration);
        Control = new MeshControl(_server);

        AllocateEndpoints(model);
        foreach (var call in _mesh.Calls)
        {
            RouteThroughSidecar(call.Caller, call.Service, _server.Addresses[call.Listener.Name]);
        }

        foreach (var gateway in model.Resources.OfType<IngressGatewayResource>())
        {
            _logger.LogInformation("Ingress gateway '{Gateway}' listening on {Url}", gateway.Name, gateway.GetEndpoint(IngressGatewayResource.EndpointName).Url);
        }

        _server.State.Changed += snapshot => _ = PublishAsync(snapshot);
        _server.EjectionsChanged += OnEjectionsChanged;
        _server.Functions.Changed += () => _ = PublishServerlessAsync();
        _server.Events.Delivered += record => _ = PublishServerlessAsync();
        await PublishServerlessAsync();
        await PublishAsync(_server.State.Snapshot);
        _ = Task.Run(() => WatchWorkloadsAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>Mesh services and gateways are served by the mesh's listeners, so the mesh allocates their endpoints.</summary>
    private void AllocateEndpoints(DistributedApplicationModel model)
    {
        foreach (var resource in model.Resources)
        {
            var listener = resource switch
            {
                IMeshServiceResource service => ListenerConfig.ForService(service.Name).Name,
                BrokerResource broker => ListenerConfig.ForBroker(broker.Name).Name,
                IngressGatewayResource gateway => ListenerConfig.IngressName(gateway.Name),
                _ => null,
            };
            if (listener is null)
            {
                continue;
            }

            var endpoint = resource.Annotations.OfType<EndpointAnnotation>().Single();
            endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "localhost", _server!.Addresses[listener].Port);
        }
    }

    /// <summary>
    /// Rewrites the caller's service-discovery variables for <paramref name="service"/> to its own
    /// outbound sidecar. Runs after <c>WithReference</c> wrote them, so any HTTP client works
    /// unchanged and the caller's identity is the listener it uses.
    /// </summary>
    private static void RouteThroughSidecar(IResource caller, IMeshServiceResource service, Uri sidecar)
    {
        caller.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
        {
            foreach (var (name, value) in context.EnvironmentVariables.ToList())
            {
                if (SidecarValue(value, service, sidecar) is { } rewritten)
                {
                    context.EnvironmentVariables[name] = rewritten;
                }
            }
        }));
    }

    private static string? SidecarValue(object value, IMeshServiceResource service, Uri sidecar) => value switch
    {
        EndpointReference endpoint when endpoint.Resource == service => sidecar.ToString().TrimEnd('/'),
        EndpointReferenceExpression expression when expression.Endpoint.Resource == service => expression.Property switch
        {
            EndpointProperty.Host or EndpointProperty.IPV4Host => sidecar.Host,
            EndpointProperty.Port or EndpointProperty.TargetPort => sidecar.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            EndpointProperty.Scheme => sidecar.Scheme,
            EndpointProperty.HostAndPort => $"{sidecar.Host}:{sidecar.Port}",
            _ => sidecar.ToString().TrimEnd('/'),
        },
        ReferenceExpression expression when expression.ValueProviders.Count == 1 && expression.Format == "{0}" =>
            SidecarValue(expression.ValueProviders[0], service, sidecar),
        _ => null,
    };

    /// <summary>
    /// Follows every replica of every workload: when one is running and healthy its application
    /// address goes into the data plane, when it stops it goes out. Replica indexes are handed
    /// out in the order replicas appear.
    /// </summary>
    private async Task WatchWorkloadsAsync(CancellationToken cancellationToken)
    {
        var workloads = _mesh!.Workloads.ToDictionary(w => w.Resource.Name, w => w.Workload);
        var replicas = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            await foreach (var update in notifications.WatchAsync(cancellationToken))
            {
                if (!workloads.TryGetValue(update.Resource.Name, out var workload))
                {
                    continue;
                }

                var ids = replicas.TryGetValue(workload.Name, out var known) ? known : replicas[workload.Name] = [];
                var index = ids.IndexOf(update.ResourceId);
                if (index < 0)
                {
                    if (ids.Count >= workload.Replicas)
                    {
                        continue;
                    }

                    ids.Add(update.ResourceId);
                    index = ids.Count - 1;
                }

                var address = IsReady(update.Snapshot) ? ApplicationAddress(update.Resource, update.Snapshot) : null;
                var current = _server!.State.Snapshot.Applications.GetValueOrDefault(ListenerConfig.Inbound(workload.Name, index).Name);
                if (address != current)
                {
                    _server.State.SetApplication(workload.Name, index, address);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static bool IsReady(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text == KnownResourceStates.Running
        && (snapshot.HealthReports.IsEmpty || snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy);

    /// <summary>
    /// Where one replica's application listens. Each replica has its own port, which DCP only
    /// reports through the replica's effective environment.
    /// </summary>
    internal static Uri? ApplicationAddress(IResource resource, CustomResourceSnapshot snapshot)
    {
        var environment = snapshot.EnvironmentVariables.ToDictionary(variable => variable.Name, variable => variable.Value, StringComparer.Ordinal);
        var endpoint = resource.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.UriScheme == "http");

        if (environment.GetValueOrDefault("ASPNETCORE_URLS") is { } urls)
        {
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(url, UriKind.Absolute, out var uri))
                {
                    return new Uri($"http://127.0.0.1:{uri.Port}");
                }
            }
        }

        return endpoint?.AllocatedEndpoint is { } allocated ? new Uri($"http://127.0.0.1:{allocated.Port}") : null;
    }

    private async Task PublishAsync(MeshSnapshot snapshot)
    {
        if (_model is null || _server is null)
        {
            return;
        }

        try
        {
            await notifications.PublishUpdateAsync(_resource!, state => state with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                Properties = state.Properties.SetResourcePropertyRange(
                [
                    new("mesh.namespace", snapshot.Config.Namespace),
                    new("mesh.trustDomain", snapshot.Config.TrustDomain),
                    new("mesh.listeners", snapshot.ListenersByPort.Count),
                    new("mesh.config.version", snapshot.Version),
                ]),
            });

            foreach (var service in _model.Resources.OfType<MeshServiceResource>())
            {
                var endpoints = snapshot.Upstreams.GetValueOrDefault(service.Name, []);
                var expected = snapshot.Config.Workloads.Where(w => w.Service == service.Name).Sum(w => w.Replicas);
                var callers = snapshot.Config.Listeners
                    .Where(l => l.Kind == ListenerKind.Outbound && l.Destination == service.Name)
                    .Select(l => $"{l.Workload} via {_server.Addresses[l.Name].Authority}");
                await notifications.PublishUpdateAsync(service, state => state with
                {
                    State = endpoints.Length == expected
                        ? new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success)
                        : new ResourceStateSnapshot($"{endpoints.Length}/{expected} ready", KnownResourceStateStyles.Info),
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    Urls = [new UrlSnapshot("mesh", service.GetEndpoint(MeshServiceResource.EndpointName).Url, IsInternal: false)],
                    Properties = state.Properties.SetResourcePropertyRange(
                    [
                        new("mesh.endpoints", string.Join(", ", endpoints.Select(e => $"{e.Name} ({e.Labels.GetValueOrDefault("version")})"))),
                        new("mesh.endpoints.ready", $"{endpoints.Length}/{expected}"),
                        new("mesh.callers", string.Join(", ", callers)),
                        new("mesh.routes", Routes(snapshot, service.Name)),
                        new("mesh.loadBalancer", LoadBalancer(snapshot, service.Name)),
                        new("mesh.faults", Control?.Faults.TryGetValue(service.Name, out var fault) == true ? fault.ToString() : "none"),
                        new("mesh.ejected", Ejected(service.Name)),
                        new("mesh.identity", string.Join(", ", snapshot.Config.Workloads.Where(w => w.Service == service.Name).Select(snapshot.Config.SpiffeIdOf).Distinct())),
                        new("mesh.mtls", string.Join(", ", snapshot.InboundSecurity
                            .Where(pair => snapshot.Workloads[snapshot.Config.Listeners.First(l => l.Name == pair.Key).Workload!].Service == service.Name)
                            .Select(pair => pair.Value.Mode.ToString().ToUpperInvariant()).Distinct())),
                        new("mesh.authorization", string.Join(", ", snapshot.Config.Workloads.Where(w => w.Service == service.Name)
                            .SelectMany(snapshot.Config.AuthorizationPoliciesOf).Select(p => $"{p.Name} ({p.Action.ToString().ToUpperInvariant()})").Distinct()) is { Length: > 0 } policies ? policies : "none"),
                    ]),
                });
            }

            foreach (var gateway in _model.Resources.OfType<IngressGatewayResource>())
            {
                var url = gateway.GetEndpoint(IngressGatewayResource.EndpointName).Url;
                await notifications.PublishUpdateAsync(gateway, state => state with
                {
                    State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    Urls = [new UrlSnapshot("ingress", url, IsInternal: false)],
                    Properties = state.Properties.SetResourcePropertyRange(
                        [new("mesh.route", gateway.Annotations.OfType<IngressRouteAnnotation>().Last().Service.Name)]),
                });
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "Could not publish the mesh's state to the dashboard.");
        }
    }

    /// <summary>Shows each function's instances (idle, starting, running) and each broker's deliveries.</summary>
    private async Task PublishServerlessAsync()
    {
        if (_model is null || _server is null)
        {
            return;
        }

        try
        {
            var revisions = _server.Functions.Status;
            foreach (var function in _model.Resources.OfType<FunctionResource>())
            {
                var status = revisions.Where(revision => revision.Service == function.Name).ToList();
                var (instances, ready) = (status.Sum(s => s.Instances), status.Sum(s => s.Ready));
                var scaling = _server.State.Snapshot.Config.Workloads.First(w => w.Service == function.Name).Scaling!;
                await notifications.PublishUpdateAsync(function, state => state with
                {
                    State = instances == 0
                        ? new ResourceStateSnapshot("Idle", KnownResourceStateStyles.Info)
                        : ready == 0
                            ? new ResourceStateSnapshot(KnownResourceStates.Starting, KnownResourceStateStyles.Info)
                            : new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    Urls = [new UrlSnapshot("mesh", function.GetEndpoint(FunctionResource.EndpointName).Url, IsInternal: false)],
                    Properties = state.Properties.SetResourcePropertyRange(
                    [
                        new("function.instances", instances),
                        new("function.revisions", string.Join("; ", status.Select(s =>
                            $"{s.Revision}: {s.State.ToLowerInvariant()}, {s.Ready} ready, {s.Starting} starting, {s.Draining} draining, {s.InFlight} in flight, {s.Queued} queued{(s.Panicking ? ", panic" : "")}"))),
                        new("function.traffic", Routes(_server.State.Snapshot, function.Name)),
                        new("function.scaling", $"containerConcurrency {scaling.ContainerConcurrency}, min-scale {scaling.MinScale}, max-scale {scaling.MaxScale}, " +
                            $"initial-scale {scaling.InitialScale}, target {scaling.TargetPerInstance:0.##}/instance, window {MeshDuration.Format(scaling.StableWindow)}"),
                        new("mesh.callers", string.Join(", ", _server.State.Snapshot.Config.Listeners
                            .Where(l => l.Kind == ListenerKind.Outbound && l.Destination == function.Name).Select(l => l.Workload))),
                    ]),
                });
            }

            var history = _server.Events.History;
            foreach (var broker in _model.Resources.OfType<BrokerResource>())
            {
                var deliveries = history.Where(record => record.Broker == broker.Name).ToList();
                var config = _server.State.Snapshot.Config.Brokers.Single(b => b.Name == broker.Name);
                await notifications.PublishUpdateAsync(broker, state => state with
                {
                    State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    Urls = [new UrlSnapshot("ingress", broker.GetEndpoint(BrokerResource.EndpointName).Url, IsInternal: false)],
                    Properties = state.Properties.SetResourcePropertyRange(
                    [
                        new("broker.triggers", string.Join("; ", config.Triggers.Select(t =>
                            $"{t.Name}: {(t.Filter.IsEmpty ? "all events" : string.Join(", ", t.Filter.Select(f => $"{f.Key}={f.Value}")))} → {t.Subscriber}{t.Path}"))),
                        new("broker.delivered", deliveries.Count(r => r.Result == DeliveryResult.Delivered)),
                        new("broker.deadLettered", deliveries.Count(r => r.Result == DeliveryResult.DeadLettered)),
                        new("broker.dropped", deliveries.Count(r => r.Result == DeliveryResult.Dropped)),
                        new("broker.last", deliveries.LastOrDefault() is { } last
                            ? $"{last.EventType} {last.EventId} at {last.Trigger}: {last.Result} after {last.Attempts} attempt(s)"
                            : "none yet"),
                    ]),
                });
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "Could not publish functions and brokers to the dashboard.");
        }
    }

    /// <summary>Shows an ejection now, and again when it ends (no event marks the end).</summary>
    private void OnEjectionsChanged()
    {
        _ = PublishAsync(_server!.State.Snapshot);
        if (_server.Ejections.Count > 0)
        {
            var until = _server.Ejections.Min(ejection => ejection.Until);
            _ = Task.Delay(until - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100), _stopping.Token)
                .ContinueWith(_ => PublishAsync(_server.State.Snapshot), TaskScheduler.Default);
        }
    }

    private string Ejected(string service)
    {
        var ejections = _server!.Ejections.Where(ejection => ejection.Cluster.EndsWith($"|{service}", StringComparison.Ordinal)).ToList();
        return ejections.Count == 0
            ? "none"
            : string.Join("; ", ejections.Select(e => $"{e.Endpoint} by {e.Source} until {e.Until:HH:mm:ss} (ejection {e.Times})"));
    }

    private static string Routes(MeshSnapshot snapshot, string service)
    {
        var routes = snapshot.Config.Services.Single(s => s.Name == service).Http;
        return routes.IsDefaultOrEmpty
            ? "all endpoints (no VirtualService)"
            : string.Join("; ", routes.Select((route, index) =>
                $"{route.Name ?? $"route-{index}"} → {string.Join(", ", (route.Route ?? []).Select(d => d.Weight is { } w ? $"{d.Destination} {w}" : d.Destination.ToString()))}"));
    }

    private static string LoadBalancer(MeshSnapshot snapshot, string service)
    {
        var loadBalancer = snapshot.Config.Services.Single(s => s.Name == service).DestinationRule?.TrafficPolicy?.LoadBalancer;
        return loadBalancer?.ConsistentHash is not null ? "consistentHash" : (loadBalancer?.Simple ?? SimpleLoadBalancer.RoundRobin).ToString();
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

        _telemetry?.Dispose();
        _stopping.Dispose();
    }
}

internal static class ResourcePropertyExtensions
{
    public static ImmutableArray<ResourcePropertySnapshot> SetResourcePropertyRange(
        this ImmutableArray<ResourcePropertySnapshot> properties, IEnumerable<ResourcePropertySnapshot> values) =>
        values.Aggregate(properties, (all, value) =>
            all.FirstOrDefault(p => p.Name == value.Name) is { } existing ? all.Replace(existing, value) : all.Add(value));
}
