using System.Collections.Frozen;
using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;

namespace LocalMesh.Emulator.State;

/// <summary>
/// What the data plane reads on every request: the compiled configuration, the bound listeners
/// and the ready endpoints. Built on each control-plane change and swapped atomically; never
/// mutated.
/// </summary>
internal sealed class MeshSnapshot
{
    private MeshSnapshot(
        MeshConfig config,
        long version,
        FrozenDictionary<int, ListenerConfig> listenersByPort,
        FrozenDictionary<string, ImmutableArray<UpstreamEndpoint>> upstreams,
        FrozenDictionary<string, Uri> applications,
        FrozenDictionary<string, WorkloadConfig> workloads,
        FrozenDictionary<string, RouteTable> routes,
        FrozenDictionary<string, Cluster> clusters)
    {
        Routes = routes;
        Clusters = clusters;
        Config = config;
        Version = version;
        ListenersByPort = listenersByPort;
        Upstreams = upstreams;
        Applications = applications;
        Workloads = workloads;
    }

    /// <summary>The configuration this snapshot was compiled from.</summary>
    public MeshConfig Config { get; }

    /// <summary>Increases with every new snapshot.</summary>
    public long Version { get; }

    /// <summary>Each bound listener's port by its name.</summary>
    public FrozenDictionary<string, int> PortsByListener { get; private init; } = FrozenDictionary<string, int>.Empty;

    /// <summary>Each bound listener by its port.</summary>
    public FrozenDictionary<int, ListenerConfig> ListenersByPort { get; }

    /// <summary>The ready endpoints of each service, in a stable order.</summary>
    public FrozenDictionary<string, ImmutableArray<UpstreamEndpoint>> Upstreams { get; }

    /// <summary>The application address behind each inbound listener, by listener name, once known.</summary>
    public FrozenDictionary<string, Uri> Applications { get; }

    /// <summary>The workloads by name.</summary>
    public FrozenDictionary<string, WorkloadConfig> Workloads { get; }

    /// <summary>Each inbound listener's mTLS mode and the identity it presents.</summary>
    public FrozenDictionary<string, InboundSecurity> InboundSecurity { get; private init; } = FrozenDictionary<string, InboundSecurity>.Empty;

    /// <summary>
    /// The SPIFFE ID each outbound listener presents for its calling workload, and each gateway
    /// for itself (as istio-ingressgateway has a service account), by listener name.
    /// </summary>
    public FrozenDictionary<string, string> CallerIdentities { get; private init; } = FrozenDictionary<string, string>.Empty;

    /// <summary>Each workload's SPIFFE ID, by workload name (for telemetry's <c>destination_principal</c>).</summary>
    public FrozenDictionary<string, string> WorkloadIdentities { get; private init; } = FrozenDictionary<string, string>.Empty;

    /// <summary>Each service's host name in the cluster, <c>&lt;name&gt;.&lt;namespace&gt;.svc.cluster.local</c> (telemetry's <c>destination_service</c>).</summary>
    public FrozenDictionary<string, string> ServiceHosts { get; private init; } = FrozenDictionary<string, string>.Empty;

    /// <summary>
    /// The workloads not all of whose replicas are ready yet, e.g. <c>reviews-v1 (1/2 ready)</c>;
    /// functions never wait (their activator holds requests while an instance starts).
    /// </summary>
    public ImmutableArray<string> Waiting { get; private init; } = [];

    /// <summary>
    /// Whether every workload has been ready at least once: the mesh has started. It stays so
    /// when a replica later goes away (that is a failure to report, not a start-up).
    /// </summary>
    public bool Started { get; private init; }

    /// <summary>Each service's compiled routes.</summary>
    internal FrozenDictionary<string, RouteTable> Routes { get; }

    /// <summary>Every cluster (a service, or a subset of one) by <c>host</c> or <c>host/subset</c>.</summary>
    internal FrozenDictionary<string, Cluster> Clusters { get; }

    /// <summary>Each TCP service's routes, by service name.</summary>
    internal FrozenDictionary<string, ImmutableArray<CompiledRoute>> TcpRoutes { get; private init; } = FrozenDictionary<string, ImmutableArray<CompiledRoute>>.Empty;

    /// <summary>The ServiceEntries' hosts, for the egress listeners, and what happens to calls to any other host.</summary>
    internal EgressRoutes Egress { get; private init; } = EgressRoutes.None;

    /// <summary>What each ingress listener that Gateways select serves, by listener name.</summary>
    internal FrozenDictionary<string, GatewayRoutes> GatewayRoutes { get; private init; } = FrozenDictionary<string, GatewayRoutes>.Empty;

    /// <summary>Compiles a snapshot of a configuration that <see cref="MeshConfigValidator"/> accepted.</summary>
    /// <param name="config">The mesh configuration.</param>
    /// <param name="boundPorts">The port each listener is bound to, by listener name.</param>
    /// <param name="applications">The application address of each ready replica, by inbound listener name.</param>
    /// <param name="version">The snapshot's version.</param>
    /// <param name="started">Whether an earlier snapshot had every workload ready.</param>
    public static MeshSnapshot Build(
        MeshConfig config,
        IReadOnlyDictionary<string, int> boundPorts,
        IReadOnlyDictionary<string, Uri> applications,
        long version,
        bool started = false)
    {
        var listenersByPort = config.Listeners
            .Where(listener => boundPorts.ContainsKey(listener.Name))
            .ToFrozenDictionary(listener => boundPorts[listener.Name]);

        var workloads = config.Workloads.ToFrozenDictionary(workload => workload.Name);

        var upstreams = config.Services.ToFrozenDictionary(
            service => service.Name,
            service => config.Listeners
                .Where(listener => listener.Kind == ListenerKind.Inbound
                    && workloads[listener.Workload!].Service == service.Name
                    // A function revision is always an endpoint: its activator holds requests until an instance is ready.
                    && boundPorts.ContainsKey(listener.Name)
                    && (applications.ContainsKey(listener.Name) || workloads[listener.Workload!].Scaling is not null))
                .OrderBy(listener => listener.Workload, StringComparer.Ordinal)
                .ThenBy(listener => listener.Replica)
                .Select(listener => new UpstreamEndpoint(
                    listener.Workload!,
                    listener.Replica,
                    workloads[listener.Workload!].Labels,
                    new Uri($"http://127.0.0.1:{boundPorts[listener.Name]}"))
                {
                    SpiffeId = config.SpiffeIdOf(workloads[listener.Workload!]),
                    AcceptsMutualTls = config.MutualTlsModeOf(workloads[listener.Workload!], service.Port) != MutualTlsMode.Disable,
                })
                .ToImmutableArray());

        var ports = config.Services.ToDictionary(service => service.Name, service => service.Port);
        var inboundSecurity = config.Listeners
            .Where(listener => listener.Kind == ListenerKind.Inbound)
            .ToFrozenDictionary(listener => listener.Name, listener =>
            {
                var workload = workloads[listener.Workload!];
                var port = workload.Service is { } service ? ports.GetValueOrDefault(service, MeshServiceConfig.DefaultPort) : MeshServiceConfig.DefaultPort;
                return new InboundSecurity(config.MutualTlsModeOf(workload, port), config.SpiffeIdOf(workload), port)
                {
                    Policies = [.. config.AuthorizationPoliciesOf(workload)],
                };
            });

        var (routes, clusters) = RouteCompiler.Compile(config, upstreams);
        // The identity each outbound listener and gateway presents for its caller, computed once rather than per request.
        var callerIdentities = config.Listeners
            .Where(listener => listener.Kind is ListenerKind.Outbound or ListenerKind.Egress or ListenerKind.Ingress)
            .ToFrozenDictionary(listener => listener.Name, listener => listener.Kind != ListenerKind.Ingress
                ? config.SpiffeIdOf(workloads[listener.Workload!])
                : SpiffeId.For(config.TrustDomain, config.Namespace, listener.Workload!));

        var waiting = config.Workloads
            .Where(workload => workload.Scaling is null)
            .Select(workload => (workload.Name, workload.Replicas,
                Ready: Enumerable.Range(0, workload.Replicas).Count(replica => applications.ContainsKey(ListenerConfig.Inbound(workload.Name, replica).Name))))
            .Where(workload => workload.Ready < workload.Replicas)
            .Select(workload => workload.Replicas == 1 ? workload.Name : $"{workload.Name} ({workload.Ready}/{workload.Replicas} ready)")
            .ToImmutableArray();

        return new MeshSnapshot(config, version, listenersByPort, upstreams, applications.ToFrozenDictionary(), workloads, routes, clusters)
        {
            Waiting = waiting,
            Started = started || (waiting.IsEmpty && boundPorts.Count > 0),
            InboundSecurity = inboundSecurity,
            CallerIdentities = callerIdentities,
            WorkloadIdentities = workloads.ToFrozenDictionary(pair => pair.Key, pair => config.SpiffeIdOf(pair.Value), StringComparer.Ordinal),
            // A ServiceEntry's host, and Envoy's passthrough and black-hole clusters, are named as they are.
            ServiceHosts = config.Services.Select(service => (service.Name, Host: $"{service.Name}.{config.Namespace}.svc.cluster.local"))
                .Concat(config.ServiceEntries.SelectMany(entry => entry.Hosts).Append(Cluster.PassthroughName).Append(Cluster.BlackHoleName).Select(host => (Name: host, Host: host)))
                .DistinctBy(service => service.Name, StringComparer.Ordinal)
                .ToFrozenDictionary(service => service.Name, service => service.Host, StringComparer.Ordinal),
            GatewayRoutes = RouteCompiler.CompileGateways(config, clusters),
            TcpRoutes = RouteCompiler.CompileTcp(config, clusters),
            Egress = RouteCompiler.CompileEgress(config, clusters),
            PortsByListener = listenersByPort.ToFrozenDictionary(pair => pair.Value.Name, pair => pair.Key),
        };
    }
}
