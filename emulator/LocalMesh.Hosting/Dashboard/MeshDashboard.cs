using System.Collections.Immutable;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Eventing;
using LocalMesh.Emulator.State;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// Shows the running mesh in the dashboard: the mesh (starting, then ready, which the console
/// says too), each service and gateway with its endpoints, callers, routes and policies, each
/// function's instances and each broker's deliveries.
/// </summary>
internal sealed class MeshDashboard(
    ResourceNotificationService notifications,
    DistributedApplicationModel model,
    MeshResource mesh,
    MeshServer server,
    MeshControl control,
    ILogger logger,
    CompiledMesh compiled)
{
    private static readonly DateTime ProcessStarted = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();

    /// <summary>How long the AppHost has been running: what a person waited since <c>dotnet run</c>.</summary>
    public static TimeSpan SinceStart() => DateTime.UtcNow - ProcessStarted;

    // What the mesh shows, taken once: the model's resource list may still change while the app starts (the dashboard adds itself).
    private readonly MeshServiceResource[] _services = [.. model.Resources.OfType<MeshServiceResource>()];
    private readonly IngressGatewayResource[] _gateways = [.. model.Resources.OfType<IngressGatewayResource>()];
    private readonly FunctionResource[] _functions = [.. model.Resources.OfType<FunctionResource>()];
    private readonly FunctionRevisionResource[] _revisions = [.. model.Resources.OfType<FunctionRevisionResource>()];
    private readonly BrokerResource[] _brokers = [.. model.Resources.OfType<BrokerResource>()];

    private long _readyAfterTicks = -1;
    private int _landingChecked;
    private IReadOnlyList<string> _configurationErrors = [];
    private IReadOnlyDictionary<string, string> _ruleSources = compiled.RuleSources;

    /// <summary>Shows the mesh now, and from then on whenever the data plane changes.</summary>
    public async Task AttachAsync()
    {
        server.State.Changed += snapshot => _ = PublishAsync(snapshot);
        server.EjectionsChanged += OnDataPlaneChanged;
        server.OverloadChanged += OnDataPlaneChanged;
        server.Functions.Changed += () => _ = PublishServerlessAsync();
        server.Events.Delivered += record => _ = PublishServerlessAsync();
        await PublishServerlessAsync();
        await PublishAsync(server.State.Snapshot);
    }

    /// <summary>Shows the configuration files' state after a save: their errors (none after a good save) and where each service's rules come from.</summary>
    public Task ConfigurationChangedAsync(IReadOnlyList<string> errors, IReadOnlyDictionary<string, string>? sources)
    {
        _configurationErrors = errors;
        _ruleSources = sources ?? _ruleSources;
        return PublishAsync(server.State.Snapshot);
    }

    public async Task PublishAsync(MeshSnapshot snapshot)
    {
        if (snapshot.Started && Interlocked.Exchange(ref _landingChecked, 1) == 0)
        {
            _ = AnnounceReadyAsync();
        }

        var announced = Interlocked.Read(ref _readyAfterTicks) >= 0;

        try
        {
            await notifications.PublishUpdateAsync(mesh, state => state with
            {
                State = !announced
                    ? new ResourceStateSnapshot(KnownResourceStates.Starting, KnownResourceStateStyles.Info)
                    : _configurationErrors.Count > 0
                        ? new ResourceStateSnapshot("Configuration errors", KnownResourceStateStyles.Warn)
                        : server.Overloaded.Count > 0
                            ? new ResourceStateSnapshot("Overloaded", KnownResourceStateStyles.Warn)
                            : new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                // Under the Aspire CLI the console is a log file: where to start is linked here too.
                Urls = MeshUrls(),
                Properties = state.Properties.SetResourcePropertyRange(
                [
                    Shown("mesh.config.errors", "Configuration errors (last good rules in force)",
                        _configurationErrors.Count == 0 ? "none" : string.Join(Environment.NewLine, _configurationErrors), 0),
                    Shown("mesh.ready", "Ready", announced
                        ? $"in {TimeSpan.FromTicks(Interlocked.Read(ref _readyAfterTicks)).TotalSeconds:0} s"
                        : snapshot.Started ? "waiting for the landing page to answer" : $"waiting for {string.Join(", ", snapshot.Waiting)}", 1),
                    Shown("mesh.namespace", "Namespace", snapshot.Config.Namespace, 2),
                    Shown("mesh.trustDomain", "Trust domain", snapshot.Config.TrustDomain, 3),
                    Shown("mesh.listeners", "Listeners", snapshot.ListenersByPort.Count, 4),
                    Shown("mesh.config.version", "Configuration version", snapshot.Version, 5),
                    Shown("mesh.metrics", "Metrics (Prometheus)", server.MetricsAddress?.ToString() ?? "none", 7),
                    Shown("mesh.overloaded", "Overloaded listeners (new connections closed)",
                        server.Overloaded.Count == 0 ? "none" : string.Join(", ", server.Overloaded.Order(StringComparer.Ordinal)), 6),
                ]),
            });

            foreach (var service in _services)
            {
                var (ready, expected) = Readiness(snapshot, service.Name);
                await notifications.PublishUpdateAsync(service, state => state with
                {
                    State = ready == expected
                        ? new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success)
                        : new ResourceStateSnapshot($"{ready}/{expected} ready", KnownResourceStateStyles.Info),
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    // The service's address is for callers outside the mesh, not a page to open: shown, not a link.
                    Urls = [],
                    Properties = state.Properties.SetResourcePropertyRange(ServiceProperties(snapshot, service.Name)
                        .Append(Shown("mesh.address", "Address (callers outside the mesh)", service.Endpoint.Url, 10))),
                });
            }

            // An injected resource is its own mesh service; its state and links stay the orchestrator's, and its
            // replicas only exist once they run.
            foreach (var resource in compiled.Injected.Where(_ => snapshot.Started))
            {
                await notifications.PublishUpdateAsync(resource, state => state with
                {
                    Properties = state.Properties.SetResourcePropertyRange(ServiceProperties(snapshot, resource.Name)),
                });
            }

            foreach (var gateway in _gateways)
            {
                await notifications.PublishUpdateAsync(gateway, state => state with
                {
                    State = snapshot.Started
                        ? new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success)
                        : new ResourceStateSnapshot(KnownResourceStates.Starting, KnownResourceStateStyles.Info),
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    Urls = [new UrlSnapshot("ingress", gateway.LandingUrl, IsInternal: false)],
                    Properties = state.Properties.SetResourcePropertyRange(
                        [
                            Shown("mesh.route", "Serves", Serves(snapshot.Config, gateway, _ruleSources), 0),
                            Shown("mesh.rules.from", "Rules from", string.Join(", ", snapshot.Config.GatewayVirtualServices
                                .Select(virtualService => _ruleSources.GetValueOrDefault($"virtualservice/{virtualService.Name}")).OfType<string>()) is { Length: > 0 } files ? files : "the app model (C#)", 1),
                        ]),
                });
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not publish the mesh's state to the dashboard.");
        }
    }

    private static (int Ready, int Expected) Readiness(MeshSnapshot snapshot, string service) =>
        (snapshot.Upstreams.GetValueOrDefault(service, []).Length, snapshot.Config.Workloads.Where(w => w.Service == service).Sum(w => w.Replicas));

    /// <summary>What the mesh knows of <paramref name="service"/>: endpoints, routes, callers, policies, faults, identities.</summary>
    private IEnumerable<ResourcePropertySnapshot> ServiceProperties(MeshSnapshot snapshot, string service)
    {
        var endpoints = snapshot.Upstreams.GetValueOrDefault(service, []);
        var workloads = snapshot.Config.Workloads.Where(w => w.Service == service).ToList();
        var callers = snapshot.Config.Listeners
            .Where(l => l.Kind is ListenerKind.Outbound or ListenerKind.Ingress && l.Destination == service)
            .Select(l => $"{l.Workload} via {server.Addresses[l.Name].Authority}");
        var inbound = snapshot.InboundSecurity
            .Where(pair => snapshot.Workloads[snapshot.Config.Listeners.First(l => l.Name == pair.Key).Workload!].Service == service)
            .Select(pair => pair.Value.Mode.ToString().ToUpperInvariant()).Distinct();
        var policies = workloads.SelectMany(snapshot.Config.AuthorizationPoliciesOf)
            .Select(p => $"{p.Name} ({p.Action.ToString().ToUpperInvariant()})").Distinct();
        return
        [
            Shown("mesh.endpoints", "Endpoints", string.Join(", ", endpoints.Select(e => $"{e.Name} ({e.Labels.GetValueOrDefault("version")})")) is { Length: > 0 } ready ? ready : "none ready", 0),
            Shown("mesh.endpoints.ready", "Endpoints ready", $"{endpoints.Length}/{workloads.Sum(w => w.Replicas)}", 1),
            Shown("mesh.protocol", "Protocol", Protocol(snapshot, service), 1),
            Shown("mesh.routes", "Routes", Routes(snapshot, service), 2),
            Shown("mesh.callers", "Callers (outbound sidecar)", string.Join(", ", callers) is { Length: > 0 } list ? list : "none", 3),
            Shown("mesh.loadBalancer", "Load balancer", LoadBalancer(snapshot, service), 4),
            Shown("mesh.faults", "Faults", control.Faults.TryGetValue(service, out var fault) ? fault.ToString() : "none", 5),
            Shown("mesh.mtls", "mTLS mode", string.Join(", ", inbound), 6),
            Shown("mesh.ejected", "Ejected endpoints", Ejected(service), 7),
            Shown("mesh.authorization", "Authorization policies", string.Join(", ", policies) is { Length: > 0 } names ? names : "none", 8),
            Shown("mesh.identity", "Identities", string.Join(", ", workloads.Select(snapshot.Config.SpiffeIdOf).Distinct()), 9),
            Shown("mesh.rules.from", "Rules from", _ruleSources.GetValueOrDefault(service, "the app model (C#)"), 11),
        ];
    }

    /// <summary>What a gateway serves: the VirtualServices bound to the Gateways that select it, or while none does, the app model's route.</summary>
    public static string Serves(MeshConfig config, IngressGatewayResource gateway, IReadOnlyDictionary<string, string> sources)
    {
        var selecting = config.Gateways.Where(g => g.SelectsIngressGateway).Select(g => g.FullName(config.Namespace)).ToList();
        if (selecting.Count == 0)
        {
            return gateway.Annotations.OfType<IngressRouteAnnotation>().LastOrDefault() is { } route ? $"everything, by the routes of {route.Service.Name}" : "nothing";
        }

        var bound = config.GatewayVirtualServices.Where(virtualService => virtualService.Gateways.Any(selecting.Contains))
            // Named as the files name them: a VirtualService, or the HTTPRoutes it was made of.
            .Select(virtualService => sources.GetValueOrDefault($"virtualservice/{virtualService.Name}") is { } from && from.StartsWith("HTTPRoute", StringComparison.Ordinal)
                ? $"{from} (hosts {string.Join(" ", virtualService.Hosts)})"
                : $"VirtualService {virtualService.Namespace ?? config.Namespace}/{virtualService.Name} (hosts {string.Join(" ", virtualService.Hosts)})")
            .ToList();
        return $"Gateway {string.Join(", ", selecting)} with {(bound.Count == 0 ? "no VirtualService, so 404 for everything" : string.Join(", ", bound))}";
    }

    /// <summary>The mesh's links: each gateway's landing page, each external endpoint through the ingress gateway, the metrics.</summary>
    private ImmutableArray<UrlSnapshot> MeshUrls()
    {
        var urls = ImmutableArray.CreateBuilder<UrlSnapshot>();
        foreach (var gateway in _gateways)
        {
            urls.Add(Link(gateway.Name, gateway.LandingUrl, $"{gateway.LandingUrl} ({gateway.Name})", isInternal: false, order: 0));
        }

        foreach (var (resource, listener) in compiled.Exposed)
        {
            var url = GatewayAddress(listener);
            urls.Add(Link(resource.Name, url, $"{url} ({resource.Name} through the ingress gateway)", isInternal: false, order: 1));
        }

        if (server.MetricsAddress is { } metrics)
        {
            urls.Add(Link("metrics", metrics.ToString(), "Metrics (Prometheus)", isInternal: true, order: 2));
        }

        return urls.ToImmutable();

        static UrlSnapshot Link(string name, string url, string text, bool isInternal, int order) =>
            new(name, url, isInternal) { DisplayProperties = new UrlDisplayPropertiesSnapshot(text, order) };
    }

    /// <summary>Where the ingress gateway serves an external endpoint.</summary>
    private string GatewayAddress(ListenerConfig listener) => server.Addresses[listener.Name].ToString().TrimEnd('/');

    /// <summary>
    /// Says once, in the console and on the mesh, that the app is ready and where to start: once every
    /// workload serves, and each landing page (a gateway's, or an external endpoint through the ingress
    /// gateway) has answered through the mesh, so the first page a person opens pays no start-up cost.
    /// </summary>
    private async Task AnnounceReadyAsync()
    {
        var pages = _gateways.Select(gateway => (Label: gateway.LandingUrl, Url: gateway.LandingUrl))
            .Concat(compiled.Exposed.Select(entry => (Label: $"{entry.Resource.Name} at {GatewayAddress(entry.Listener)}", Url: GatewayAddress(entry.Listener))))
            .ToList();
        var unanswered = new List<string>();
        using var client = new HttpClient();
        foreach (var page in pages)
        {
            if (await AnswersAsync(client, page.Url) is { } problem)
            {
                unanswered.Add($"{page.Url} answered {problem}");
            }
        }

        Interlocked.Exchange(ref _readyAfterTicks, SinceStart().Ticks);
        logger.LogInformation("LocalMesh ready in {Seconds:0} s: {Where}",
            TimeSpan.FromTicks(_readyAfterTicks).TotalSeconds,
            pages.Count == 0 ? "every workload is ready" : string.Join(", ", pages.Select(page => page.Label)));
        foreach (var problem in unanswered)
        {
            logger.LogWarning("The landing page {Problem} once every workload was ready; see its traces in the dashboard.", problem);
        }

        await PublishAsync(server.State.Snapshot);
    }

    /// <summary>How long the landing page may take to answer its first request (an application's first request pays its start-up).</summary>
    private static readonly TimeSpan LandingPageTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Null once the page answers below 500; else what it answered last.</summary>
    private static async Task<string?> AnswersAsync(HttpClient client, string url)
    {
        using var deadline = new CancellationTokenSource(LandingPageTimeout);
        var last = "nothing";
        try
        {
            while (true)
            {
                try
                {
                    using var response = await client.GetAsync(url, deadline.Token);
                    if ((int)response.StatusCode < 500)
                    {
                        return null;
                    }

                    last = $"{(int)response.StatusCode}";
                }
                catch (HttpRequestException ex)
                {
                    last = ex.Message;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return last;
        }
    }

    /// <summary>A property shown among the resource's highlighted ones, in <paramref name="order"/>.</summary>
    internal static ResourcePropertySnapshot Shown(string name, string displayName, object? value, int order) =>
        new(name, value) { DisplayName = displayName, IsHighlighted = true, SortOrder = order };

    /// <summary>Shows each function's instances (idle, starting, running) and each broker's deliveries.</summary>
    public async Task PublishServerlessAsync()
    {
        try
        {
            var revisions = server.Functions.Status;
            foreach (var function in _functions)
            {
                var status = revisions.Where(revision => revision.Service == function.Name).ToList();
                var (instances, ready) = (status.Sum(s => s.Instances), status.Sum(s => s.Ready));
                var scaling = server.State.Snapshot.Config.Workloads.First(w => w.Service == function.Name).Scaling!;
                await notifications.PublishUpdateAsync(function, state => state with
                {
                    State = StateOf(instances, ready),
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    // A function answers POSTs (a browser's GET would only start an instance to say 405).
                    Urls = [],
                    Properties = state.Properties.SetResourcePropertyRange(
                    [
                        Shown("function.instances", "Instances", instances, 0),
                        Shown("function.revisions", "Revisions", string.Join("; ", status.Select(s =>
                            $"{s.Revision}: {s.State.ToLowerInvariant()}, {s.Ready} ready, {s.Starting} starting, {s.Draining} draining, {s.InFlight} in flight, {s.Queued} queued{(s.Panicking ? ", panic" : "")}")), 1),
                        Shown("function.traffic", "Traffic", Routes(server.State.Snapshot, function.Name), 2),
                        Shown("function.scaling", "Scaling", $"containerConcurrency {scaling.ContainerConcurrency}, min-scale {scaling.MinScale}, max-scale {scaling.MaxScale}, " +
                            $"initial-scale {scaling.InitialScale}, target {scaling.TargetPerInstance:0.##}/instance, window {MeshDuration.Format(scaling.StableWindow)}", 3),
                        Shown("mesh.callers", "Callers", string.Join(", ", server.State.Snapshot.Config.Listeners
                            .Where(l => l.Kind == ListenerKind.Outbound && l.Destination == function.Name).Select(l => l.Workload)), 4),
                        Shown("mesh.address", "Address (callers outside the mesh)", function.GetEndpoint(FunctionResource.EndpointName).Url, 5),
                        Shown("mesh.rules.from", "Rules from", _ruleSources.GetValueOrDefault(function.Name, "the app model (C#)"), 6),
                    ]),
                });
            }

            foreach (var revision in _revisions)
            {
                if (revisions.FirstOrDefault(status => status.Revision == revision.Name) is not { } status)
                {
                    continue;
                }

                await notifications.PublishUpdateAsync(revision, state => state with
                {
                    State = StateOf(status.Instances, status.Ready),
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    Properties = state.Properties.SetResourcePropertyRange(
                    [
                        Shown("function.instances", "Instances", $"{status.Ready} ready, {status.Starting} starting, {status.Draining} draining", 0),
                        Shown("function.requests", "Requests", $"{status.InFlight} in flight, {status.Queued} queued{(status.Panicking ? ", panic" : "")}", 1),
                    ]),
                });
            }

            var history = server.Events.History;
            foreach (var broker in _brokers)
            {
                var deliveries = history.Where(record => record.Broker == broker.Name).ToList();
                var config = server.State.Snapshot.Config.Brokers.Single(b => b.Name == broker.Name);
                await notifications.PublishUpdateAsync(broker, state => state with
                {
                    State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    // A broker takes CloudEvents by POST, not a page to open.
                    Urls = [],
                    Properties = state.Properties.SetResourcePropertyRange(
                    [
                        Shown("broker.address", "Address (POST CloudEvents)", broker.GetEndpoint(BrokerResource.EndpointName).Url, 5),
                        Shown("mesh.rules.from", "Rules from", _ruleSources.GetValueOrDefault(broker.Name, "the app model (C#)"), 6),
                        Shown("broker.triggers", "Triggers", string.Join("; ", config.Triggers.Select(t =>
                            $"{t.Name}: {(t.Filter.IsEmpty ? "all events" : string.Join(", ", t.Filter.Select(f => $"{f.Key}={f.Value}")))} → {t.Subscriber}{t.Path}")), 0),
                        Shown("broker.delivered", "Delivered", deliveries.Count(r => r.Result == DeliveryResult.Delivered), 1),
                        Shown("broker.deadLettered", "Dead-lettered", deliveries.Count(r => r.Result == DeliveryResult.DeadLettered), 2),
                        Shown("broker.dropped", "Dropped", deliveries.Count(r => r.Result == DeliveryResult.Dropped), 3),
                        Shown("broker.last", "Last delivery", deliveries.LastOrDefault() is { } last
                            ? $"{last.EventType} {last.EventId} at {last.Trigger}: {last.Result} after {last.Attempts} attempt(s)"
                            : "none yet", 4),
                    ]),
                });
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not publish functions and brokers to the dashboard.");
        }
    }

    /// <summary>A function's or revision's state: idle at zero instances, starting until one is ready, then running.</summary>
    private static ResourceStateSnapshot StateOf(int instances, int ready) =>
        instances == 0 ? new ResourceStateSnapshot("Idle", KnownResourceStateStyles.Info)
        : ready == 0 ? new ResourceStateSnapshot(KnownResourceStates.Starting, KnownResourceStateStyles.Info)
        : new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success);

    /// <summary>Shows an ejection or a listener's overload when it happens and when it ends (the data plane raises both).</summary>
    private void OnDataPlaneChanged() => _ = PublishAsync(server.State.Snapshot);

    private string Ejected(string service)
    {
        var ejections = server.Ejections.Where(ejection => ejection.Cluster.EndsWith($"|{service}", StringComparison.Ordinal)).ToList();
        return ejections.Count == 0
            ? "none"
            : string.Join("; ", ejections.Select(e => $"{e.Endpoint} by {e.Source} until {e.Until:HH:mm:ss} (ejection {e.Times})"));
    }

    private static string Routes(MeshSnapshot snapshot, string service)
    {
        var config = snapshot.Config.Services.Single(s => s.Name == service);
        // A TCP port is routed by its tcp routes (shown as the HTTP routes with the same matches and destinations).
        var routes = config.Protocol == ServiceProtocol.Tcp ? [.. config.Tcp.Select((route, index) => route.AsHttpRoute(index))] : config.Http;
        return routes.IsDefaultOrEmpty
            ? "all endpoints (no VirtualService)"
            : string.Join("; ", routes.Select((route, index) =>
                $"{route.Name ?? $"route-{index}"} → {string.Join(", ", (route.Route ?? []).Select(d => d.Weight is { } w ? $"{d.Destination} {w}" : d.Destination.ToString()))}"));
    }

    /// <summary>The service port's protocol, as Istio names it, and what the sidecars speak for it.</summary>
    private static string Protocol(MeshSnapshot snapshot, string service) => snapshot.Config.Services.Single(s => s.Name == service).Protocol switch
    {
        ServiceProtocol.Grpc => "grpc (HTTP/2 between sidecars and to the application)",
        ServiceProtocol.Http2 => "http2 (HTTP/2 between sidecars and to the application)",
        ServiceProtocol.Tcp => "tcp (bytes, mutual TLS between sidecars)",
        _ => "http (HTTP/1.1 between sidecars and to the application)",
    };

    private static string LoadBalancer(MeshSnapshot snapshot, string service)
    {
        var loadBalancer = snapshot.Config.Services.Single(s => s.Name == service).DestinationRule?.TrafficPolicy?.LoadBalancer;
        return loadBalancer?.ConsistentHash is not null ? "consistentHash" : (loadBalancer?.Simple ?? snapshot.Config.DefaultLoadBalancer).ToIstioName();
    }
}

internal static class ResourcePropertyExtensions
{
    public static ImmutableArray<ResourcePropertySnapshot> SetResourcePropertyRange(
        this ImmutableArray<ResourcePropertySnapshot> properties, IEnumerable<ResourcePropertySnapshot> values) =>
        values.Aggregate(properties, (all, value) =>
            all.FirstOrDefault(p => p.Name == value.Name) is { } existing ? all.Replace(existing, value) : all.Add(value));
}
