using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// The mesh as the control plane compiled it from the model: services, the workloads behind
/// them and the listeners that carry their traffic. Immutable; a change builds a new one.
/// </summary>
public sealed record MeshConfig
{
    /// <summary>Istio's default trust domain.</summary>
    public const string DefaultTrustDomain = "cluster.local";

    /// <summary>The namespace workloads live in when the model names none.</summary>
    public const string DefaultNamespace = "default";

    /// <summary>The name of Istio's ingress gateway deployment (and so its workload in telemetry), which fronts an app's external endpoints.</summary>
    public const string IstioIngressGateway = "istio-ingressgateway";

    /// <summary>Istio's load balancer where a DestinationRule sets none (LEAST_REQUEST since Istio 1.14).</summary>
    public const SimpleLoadBalancer IstioDefaultLoadBalancer = SimpleLoadBalancer.LeastRequest;

    /// <summary>
    /// The load balancer where a DestinationRule sets none: Istio's by default, so a file means
    /// locally what it means in the cluster; ROUND_ROBIN for repeatable local runs (the export then
    /// writes it into every DestinationRule, so the cluster balances the same way).
    /// </summary>
    public SimpleLoadBalancer DefaultLoadBalancer { get; init; } = IstioDefaultLoadBalancer;

    /// <summary>
    /// How each sidecar writes its access log (Istio's <c>meshConfig.accessLogEncoding</c>), one line
    /// a request to the log of the workload it belongs to; <c>null</c> writes none (an empty
    /// <c>accessLogFile</c>). On, as text, by default, as in Istio's demo profile.
    /// </summary>
    public AccessLogEncoding? AccessLog { get; init; } = AccessLogEncoding.Text;

    /// <summary>Istio's sampling in its demo profile, and the local default: a developer wants every request's trace.</summary>
    public const double DefaultTraceSampling = 100;

    /// <summary>
    /// The percentage of new traces the sidecars record (Istio's Telemetry
    /// <c>randomSamplingPercentage</c>; 1% in Istio's default profile, 100% in its demo profile and
    /// here). Decided where a trace starts; every later hop follows the caller's decision.
    /// </summary>
    public double TraceSampling { get; init; } = DefaultTraceSampling;

    /// <summary>The SPIFFE trust domain of workload identities.</summary>
    public string TrustDomain { get; init; } = DefaultTrustDomain;

    /// <summary>The namespace of every service and workload.</summary>
    public string Namespace { get; init; } = DefaultNamespace;

    /// <summary>The mesh services, by name.</summary>
    public ImmutableArray<MeshServiceConfig> Services { get; init; } = [];

    /// <summary>The workloads (deployments) that serve the services.</summary>
    public ImmutableArray<WorkloadConfig> Workloads { get; init; } = [];

    /// <summary>Every listener the data plane binds.</summary>
    public ImmutableArray<ListenerConfig> Listeners { get; init; } = [];

    /// <summary>The Knative Eventing brokers and their triggers.</summary>
    public ImmutableArray<BrokerConfig> Brokers { get; init; } = [];

    /// <summary>The AuthorizationPolicy policies: who may call what.</summary>
    public ImmutableArray<AuthorizationPolicy> AuthorizationPolicies { get; init; } = [];

    /// <summary>The PeerAuthentication policies: what each inbound sidecar accepts.</summary>
    public ImmutableArray<PeerAuthentication> PeerAuthentications { get; init; } = [];

    /// <summary>The Gateways: what the ingress gateways they select serve.</summary>
    public ImmutableArray<GatewayConfig> Gateways { get; init; } = [];

    /// <summary>The VirtualServices bound to <see cref="Gateways"/>, in the order they were given.</summary>
    public ImmutableArray<VirtualService> GatewayVirtualServices { get; init; } = [];

    /// <summary>The ServiceEntries: hosts outside the mesh its workloads may call through their sidecars.</summary>
    public ImmutableArray<ServiceEntry> ServiceEntries { get; init; } = [];

    /// <summary>
    /// The rules for hosts of <see cref="ServiceEntries"/>, one per host (named by it): the
    /// VirtualService routing calls to it and its DestinationRule (TLS origination, subsets, limits).
    /// </summary>
    public ImmutableArray<MeshServiceConfig> ExternalServices { get; init; } = [];

    /// <summary>What a sidecar does with a call to a host neither a service nor a ServiceEntry has (Istio's default: let it pass).</summary>
    public OutboundTrafficPolicyMode OutboundTrafficPolicy { get; init; } = OutboundTrafficPolicyMode.AllowAny;

    /// <summary>
    /// This configuration with the rules of <paramref name="other"/> (the same app compiled again,
    /// e.g. after a file was saved): each service's VirtualService and DestinationRule, the security
    /// policies, the Gateways and their routes, the ServiceEntries with their hosts' rules and the
    /// outbound traffic policy. The topology — services, workloads, listeners, functions, brokers —
    /// is this one's: it is fixed for a run.
    /// </summary>
    internal MeshConfig WithRulesOf(MeshConfig other) => this with
    {
        Services = [.. Services.Select(service => other.Services.FirstOrDefault(s => s.Name == service.Name) is { } updated
            ? service with { VirtualService = updated.VirtualService, DestinationRule = updated.DestinationRule }
            : service)],
        PeerAuthentications = other.PeerAuthentications,
        AuthorizationPolicies = other.AuthorizationPolicies,
        Gateways = other.Gateways,
        GatewayVirtualServices = other.GatewayVirtualServices,
        ServiceEntries = other.ServiceEntries,
        ExternalServices = other.ExternalServices,
        OutboundTrafficPolicy = other.OutboundTrafficPolicy,
    };

    /// <summary>
    /// What <paramref name="other"/> changes that <see cref="WithRulesOf"/> does not take, because
    /// it shapes processes and listeners that start with the app: a function revision's scaling, a
    /// broker's triggers or delivery. Each is named, e.g. <c>the scaling of function revision 'x-00001'</c>.
    /// </summary>
    internal IEnumerable<string> ChangesForTheNextStart(MeshConfig other)
    {
        foreach (var revision in Workloads.Where(workload => workload.Scaling is not null))
        {
            if (other.Workloads.FirstOrDefault(workload => workload.Name == revision.Name)?.Scaling is { } scaling && scaling != revision.Scaling)
            {
                yield return $"the scaling of function revision '{revision.Name}'";
            }
        }

        foreach (var broker in Brokers)
        {
            if (other.Brokers.FirstOrDefault(candidate => candidate.Name == broker.Name) is { } changed
                && (changed.Delivery != broker.Delivery || !changed.Triggers.SequenceEqual(broker.Triggers, TriggerConfig.Comparer)))
            {
                yield return $"the triggers or delivery of broker '{broker.Name}'";
            }
        }
    }

    /// <summary>
    /// The mTLS mode of <paramref name="workload"/>'s inbound sidecar on <paramref name="port"/>:
    /// the workload's own policy (port level first) over its namespace's over the mesh's; UNSET
    /// inherits; PERMISSIVE when nothing says otherwise.
    /// </summary>
    internal MutualTlsMode MutualTlsModeOf(WorkloadConfig workload, int port)
    {
        var selected = PeerAuthentications
            .Where(policy => policy.Selector is { } selector
                && (policy.Namespace ?? Namespace) == Namespace
                && selector.All(label => workload.Labels.TryGetValue(label.Key, out var value) && value == label.Value))
            .ToList();
        var candidates = selected.Select(policy => policy.PortLevelMtls?.GetValueOrDefault(port) ?? MutualTlsMode.Unset)
            .Concat(selected.Select(policy => policy.Mode))
            .Concat(PeerAuthentications.Where(policy => policy.Selector is null && policy.Namespace == Namespace).Select(policy => policy.Mode))
            .Concat(PeerAuthentications.Where(policy => policy.Selector is null && policy.Namespace is null).Select(policy => policy.Mode));
        return candidates.FirstOrDefault(mode => mode != MutualTlsMode.Unset, MutualTlsMode.Permissive);
    }

    /// <summary>The authorization policies that apply to <paramref name="workload"/>.</summary>
    internal IEnumerable<AuthorizationPolicy> AuthorizationPoliciesOf(WorkloadConfig workload) =>
        AuthorizationPolicies.Where(policy => (policy.Namespace is null || policy.Namespace == Namespace)
            && (policy.Selector is null || policy.Selector.All(label => workload.Labels.TryGetValue(label.Key, out var value) && value == label.Value)));

    /// <summary>The SPIFFE ID of <paramref name="workload"/>.</summary>
    internal string SpiffeIdOf(WorkloadConfig workload) => SpiffeId.For(TrustDomain, Namespace, workload.ServiceAccount);
}

/// <summary>A mesh service: a name callers use, selecting workloads by their <c>app</c> label.</summary>
/// <param name="Name">The service name, also the value of the <c>app</c> label it selects.</param>
public sealed record MeshServiceConfig(string Name)
{
    /// <summary>A Kubernetes Service's usual port.</summary>
    public const int DefaultPort = 80;

    /// <summary>The service port (VirtualService <c>port</c> matches compare with it).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// What the port carries, as a Service port's <c>appProtocol</c> or name prefix tells Istio: it
    /// decides the protocol the sidecars speak to each other and to the application.
    /// </summary>
    public ServiceProtocol Protocol { get; init; } = ServiceProtocol.Http;

    /// <summary>The service's VirtualService (for the mesh): its routes, symmetric with <see cref="DestinationRule"/>; <c>null</c> when it has none.</summary>
    public VirtualService? VirtualService { get; init; }

    /// <summary>The HTTP routes of the service's VirtualService, tried in order; empty routes everything to all endpoints.</summary>
    public ImmutableArray<HttpRoute> Http
    {
        get => VirtualService?.Http ?? [];
        init => VirtualService = value.IsDefaultOrEmpty && (VirtualService?.Tcp.IsDefaultOrEmpty ?? true)
            ? null
            : (VirtualService ?? new VirtualService(Name) { Hosts = [Name] }) with { Http = value.IsDefault ? [] : value };
    }

    /// <summary>The TCP routes of the service's VirtualService, tried in order for each connection; empty sends every connection to all endpoints.</summary>
    public ImmutableArray<TcpRoute> Tcp
    {
        get => VirtualService?.Tcp ?? [];
        init => VirtualService = value.IsDefaultOrEmpty ? VirtualService : (VirtualService ?? new VirtualService(Name) { Hosts = [Name] }) with { Tcp = value };
    }

    /// <summary>The service's DestinationRule: subsets and traffic policy.</summary>
    public DestinationRule? DestinationRule { get; init; }
}

/// <summary>A workload (a Kubernetes deployment): one or more replicas of one version of a service.</summary>
/// <param name="Name">The workload name, e.g. <c>reviews-v2</c>.</param>
/// <param name="Service">The mesh service it serves.</param>
/// <param name="Labels">Its labels, at least <c>app</c> and usually <c>version</c>.</param>
/// <param name="ServiceAccount">The service account its identity is issued for.</param>
/// <param name="Replicas">How many replicas run.</param>
public sealed record WorkloadConfig(
    string Name,
    string? Service,
    ImmutableDictionary<string, string> Labels,
    string ServiceAccount,
    int Replicas)
{
    /// <summary>
    /// Set for a function revision (a Knative Revision): its one inbound listener is the
    /// activator, which starts and stops instances on demand instead of a fixed set of replicas.
    /// </summary>
    public FunctionScaling? Scaling { get; init; }
}

/// <summary>
/// A service port's protocol, as Istio selects it from the port's <c>appProtocol</c> or name prefix
/// (<c>http</c>, <c>http2</c>, <c>grpc</c>, <c>tcp</c>).
/// </summary>
public enum ServiceProtocol
{
    /// <summary>HTTP/1.1 to the application; callers may speak HTTP/1.1 or HTTP/2 to their sidecar.</summary>
    Http,

    /// <summary>HTTP/2: the sidecars speak HTTP/2 to each other and, with prior knowledge, to the application.</summary>
    Http2,

    /// <summary>gRPC: HTTP/2 as <see cref="Http2"/>, and telemetry counts calls with their gRPC status.</summary>
    Grpc,

    /// <summary>Opaque TCP: bytes forwarded both ways, no HTTP rules.</summary>
    Tcp,
}

/// <summary>Istio's <c>meshConfig.accessLogEncoding</c>.</summary>
public enum AccessLogEncoding
{
    /// <summary>Istio's default text format, fields separated by spaces.</summary>
    Text,

    /// <summary>One JSON object a line, with Istio's default JSON field names.</summary>
    Json,
}

/// <summary>What a listener is for, and so which stages of the pipeline apply.</summary>
public enum ListenerKind
{
    /// <summary>A workload replica's inbound sidecar: traffic from the mesh to the application.</summary>
    Inbound,

    /// <summary>A caller's outbound sidecar for one destination service.</summary>
    Outbound,

    /// <summary>The ingress gateway: traffic from outside the mesh.</summary>
    Ingress,

    /// <summary>A service's address for callers without a sidecar (the source is unknown).</summary>
    Service,

    /// <summary>A Knative Eventing broker's ingress: CloudEvents in, deliveries out through the broker's outbound sidecars.</summary>
    Broker,

    /// <summary>
    /// A workload's outbound sidecar for hosts outside the mesh: its HTTP proxy (<c>HTTP_PROXY</c>),
    /// which routes plain HTTP by the host it names and tunnels HTTPS (<c>CONNECT</c>).
    /// </summary>
    Egress,
}

/// <summary>A listener of the data plane, always on loopback.</summary>
/// <param name="Name">A unique, readable name, e.g. <c>outbound|productpage-v1|reviews</c>.</param>
/// <param name="Kind">What the listener is for.</param>
/// <param name="Port">The port to bind; 0 lets the operating system choose.</param>
/// <param name="Workload">
/// For inbound listeners the workload served; for outbound and ingress listeners the calling
/// workload (the gateway's name for ingress); <c>null</c> for service listeners.
/// </param>
/// <param name="Replica">For inbound listeners, the replica index.</param>
/// <param name="Destination">For outbound, ingress and service listeners, the destination service.</param>
public sealed record ListenerConfig(
    string Name,
    ListenerKind Kind,
    int Port,
    string? Workload,
    int Replica = 0,
    string? Destination = null)
{
    /// <summary>The listener for replica <paramref name="replica"/> of <paramref name="workload"/>.</summary>
    internal static ListenerConfig Inbound(string workload, int replica) =>
        new($"inbound|{workload}|{replica}", ListenerKind.Inbound, 0, workload, replica);

    /// <summary>The outbound listener <paramref name="caller"/> uses to reach <paramref name="service"/>.</summary>
    internal static ListenerConfig Outbound(string caller, string service) =>
        new($"outbound|{caller}|{service}", ListenerKind.Outbound, 0, caller, Destination: service);

    /// <summary>
    /// The ingress gateway <paramref name="gateway"/> on <paramref name="port"/>: the Gateways that
    /// select it decide what it serves; while none does, it routes everything to <paramref name="service"/>.
    /// </summary>
    internal static ListenerConfig Ingress(string gateway, int port, string? service) =>
        new(IngressName(gateway), ListenerKind.Ingress, port, gateway, Destination: service);

    /// <summary>
    /// A port of ingress gateway <paramref name="gateway"/> of its own for <paramref name="service"/>,
    /// an app's external endpoint: the browser's first hop enters the mesh there.
    /// </summary>
    internal static ListenerConfig Exposing(string gateway, string service) =>
        new($"{IngressName(gateway)}|{service}", ListenerKind.Ingress, 0, gateway, Destination: service);

    /// <summary>The name of <paramref name="gateway"/>'s listener.</summary>
    internal static string IngressName(string gateway) => $"ingress|{gateway}";

    /// <summary>The ingress of <paramref name="broker"/>, where publishers post CloudEvents.</summary>
    internal static ListenerConfig ForBroker(string broker) =>
        new($"broker|{broker}", ListenerKind.Broker, 0, broker);

    /// <summary>The HTTP proxy through which <paramref name="workload"/>'s calls to hosts outside the mesh leave.</summary>
    internal static ListenerConfig Egress(string workload) =>
        new($"egress|{workload}", ListenerKind.Egress, 0, workload);

    /// <summary>The address of <paramref name="service"/> for callers outside the mesh.</summary>
    internal static ListenerConfig ForService(string service) =>
        new($"service|{service}", ListenerKind.Service, 0, null, Destination: service);
}
