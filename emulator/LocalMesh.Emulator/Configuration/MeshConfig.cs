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
