using System.Collections.Immutable;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Eventing;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// Shows the running mesh in the dashboard: the mesh, each service and gateway with its
/// endpoints, callers, routes and policies, each function's instances and each broker's
/// deliveries.
/// </summary>
internal sealed class MeshDashboard(
    ResourceNotificationService notifications,
    DistributedApplicationModel model,
    MeshResource mesh,
    MeshServer server,
    MeshControl control,
    ILogger logger,
    CancellationToken stopping)
{
    public async Task PublishAsync(MeshSnapshot snapshot)
    {
                try
        {
            await notifications.PublishUpdateAsync(mesh, state => state with
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

            foreach (var service in model.Resources.OfType<MeshServiceResource>())
            {
                var endpoints = snapshot.Upstreams.GetValueOrDefault(service.Name, []);
                var expected = snapshot.Config.Workloads.Where(w => w.Service == service.Name).Sum(w => w.Replicas);
                var callers = snapshot.Config.Listeners
                    .Where(l => l.Kind == ListenerKind.Outbound && l.Destination == service.Name)
                    .Select(l => $"{l.Workload} via {server.Addresses[l.Name].Authority}");
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
                        new("mesh.faults", control.Faults.TryGetValue(service.Name, out var fault) == true ? fault.ToString() : "none"),
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

            foreach (var gateway in model.Resources.OfType<IngressGatewayResource>())
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
            logger.LogWarning(ex, "Could not publish the mesh's state to the dashboard.");
        }
    }

    /// <summary>Shows each function's instances (idle, starting, running) and each broker's deliveries.</summary>
    public async Task PublishServerlessAsync()
    {
                try
        {
            var revisions = server.Functions.Status;
            foreach (var function in model.Resources.OfType<FunctionResource>())
            {
                var status = revisions.Where(revision => revision.Service == function.Name).ToList();
                var (instances, ready) = (status.Sum(s => s.Instances), status.Sum(s => s.Ready));
                var scaling = server.State.Snapshot.Config.Workloads.First(w => w.Service == function.Name).Scaling!;
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
                        new("function.traffic", Routes(server.State.Snapshot, function.Name)),
                        new("function.scaling", $"containerConcurrency {scaling.ContainerConcurrency}, min-scale {scaling.MinScale}, max-scale {scaling.MaxScale}, " +
                            $"initial-scale {scaling.InitialScale}, target {scaling.TargetPerInstance:0.##}/instance, window {MeshDuration.Format(scaling.StableWindow)}"),
                        new("mesh.callers", string.Join(", ", server.State.Snapshot.Config.Listeners
                            .Where(l => l.Kind == ListenerKind.Outbound && l.Destination == function.Name).Select(l => l.Workload))),
                    ]),
                });
            }

            var history = server.Events.History;
            foreach (var broker in model.Resources.OfType<BrokerResource>())
            {
                var deliveries = history.Where(record => record.Broker == broker.Name).ToList();
                var config = server.State.Snapshot.Config.Brokers.Single(b => b.Name == broker.Name);
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
            logger.LogWarning(ex, "Could not publish functions and brokers to the dashboard.");
        }
    }

    /// <summary>Shows an ejection now, and again when it ends (no event marks the end).</summary>
    public void OnEjectionsChanged()
    {
        _ = PublishAsync(server.State.Snapshot);
        if (server.Ejections.Count > 0)
        {
            var until = server.Ejections.Min(ejection => ejection.Until);
            _ = Task.Delay(until - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100), stopping)
                .ContinueWith(_ => PublishAsync(server.State.Snapshot), TaskScheduler.Default);
        }
    }

    private string Ejected(string service)
    {
        var ejections = server.Ejections.Where(ejection => ejection.Cluster.EndsWith($"|{service}", StringComparison.Ordinal)).ToList();
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
}

internal static class ResourcePropertyExtensions
{
    public static ImmutableArray<ResourcePropertySnapshot> SetResourcePropertyRange(
        this ImmutableArray<ResourcePropertySnapshot> properties, IEnumerable<ResourcePropertySnapshot> values) =>
        values.Aggregate(properties, (all, value) =>
            all.FirstOrDefault(p => p.Name == value.Name) is { } existing ? all.Replace(existing, value) : all.Add(value));
}
