using k8s;
using k8s.Models;

namespace LocalMesh.Kubernetes.Export;

// The custom resources the export writes, as small typed classes: only the fields LocalMesh
// sets, named so that the serializer's camelCase gives the CRD's field names. Null fields are
// not written.

/// <summary>A custom resource: apiVersion, kind, metadata and a typed spec.</summary>
public abstract class CustomResource<TSpec> : IKubernetesObject<V1ObjectMeta>
    where TSpec : new()
{
    /// <inheritdoc />
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The resource's spec.</summary>
    public TSpec Spec { get; set; } = new();
}

#pragma warning disable CS1591 // the members are the CRDs' own fields, documented by Istio, Knative, the Prometheus operator and Argo CD

// Istio: networking.istio.io/v1 and security.istio.io/v1.

public sealed class IstioVirtualService : CustomResource<VirtualServiceSpec>
{
    public IstioVirtualService() => (ApiVersion, Kind) = ("networking.istio.io/v1", "VirtualService");
}

public sealed class VirtualServiceSpec
{
    public List<string> Hosts { get; set; } = [];
    public List<string>? Gateways { get; set; }
    public List<IstioHttpRoute> Http { get; set; } = [];

    // Read from a team's files and carried, not emulated (an object is any value, kept as written).
    public List<string>? ExportTo { get; set; }
    public object? Tcp { get; set; }
    public object? Tls { get; set; }
}

public sealed class IstioHttpRoute
{
    public string? Name { get; set; }
    public List<IstioHttpMatch>? Match { get; set; }
    public List<IstioRouteDestination>? Route { get; set; }
    public IstioRedirect? Redirect { get; set; }
    public IstioRewrite? Rewrite { get; set; }
    public string? Timeout { get; set; }
    public IstioRetries? Retries { get; set; }
    public IstioFault? Fault { get; set; }
    public IstioDestination? Mirror { get; set; }
    public IstioPercent? MirrorPercentage { get; set; }
    public IstioHeaders? Headers { get; set; }
    public object? CorsPolicy { get; set; }
    public object? Delegate { get; set; }
    public object? Mirrors { get; set; }
    public object? DirectResponse { get; set; }
}

public sealed class IstioHttpMatch
{
    public string? Name { get; set; }
    public IstioStringMatch? Uri { get; set; }
    public IstioStringMatch? Scheme { get; set; }
    public IstioStringMatch? Method { get; set; }
    public IstioStringMatch? Authority { get; set; }
    public Dictionary<string, IstioStringMatch>? Headers { get; set; }
    public Dictionary<string, IstioStringMatch>? QueryParams { get; set; }
    public Dictionary<string, IstioStringMatch>? WithoutHeaders { get; set; }
    public bool? IgnoreUriCase { get; set; }
    public Dictionary<string, string>? SourceLabels { get; set; }
    public int? Port { get; set; }
    public List<string>? Gateways { get; set; }
    public string? SourceNamespace { get; set; }
    public object? StatPrefix { get; set; }
}

public sealed class IstioStringMatch
{
    public string? Exact { get; set; }
    public string? Prefix { get; set; }
    public string? Regex { get; set; }
}

public sealed class IstioRouteDestination
{
    public IstioDestination Destination { get; set; } = new();
    public int? Weight { get; set; }
    public IstioHeaders? Headers { get; set; }
}

public sealed class IstioDestination
{
    public string Host { get; set; } = "";
    public string? Subset { get; set; }
    public IstioPort? Port { get; set; }
}

public sealed class IstioPort
{
    public int Number { get; set; }
}

public sealed class IstioRedirect
{
    public string? Uri { get; set; }
    public string? Authority { get; set; }
    public int? Port { get; set; }
    public string? Scheme { get; set; }
    public int? RedirectCode { get; set; }
}

public sealed class IstioRewrite
{
    public string? Uri { get; set; }
    public string? Authority { get; set; }
}

public sealed class IstioRetries
{
    public int Attempts { get; set; }
    public string? PerTryTimeout { get; set; }
    public string? RetryOn { get; set; }
    public bool? RetryRemoteLocalities { get; set; }
}

public sealed class IstioFault
{
    public IstioDelay? Delay { get; set; }
    public IstioAbort? Abort { get; set; }
}

public sealed class IstioDelay
{
    public string FixedDelay { get; set; } = "";
    public IstioPercent? Percentage { get; set; }

    /// <summary>Deprecated whole-number percentage, still in older samples (Istio reads it when <see cref="Percentage"/> is unset).</summary>
    public int? Percent { get; set; }
}

public sealed class IstioAbort
{
    public int? HttpStatus { get; set; }
    public string? GrpcStatus { get; set; }
    public IstioPercent? Percentage { get; set; }
    public object? Http2Error { get; set; }
}

public sealed class IstioPercent
{
    public double Value { get; set; }
}

public sealed class IstioHeaders
{
    public IstioHeaderOperations? Request { get; set; }
    public IstioHeaderOperations? Response { get; set; }
}

public sealed class IstioHeaderOperations
{
    public Dictionary<string, string>? Set { get; set; }
    public Dictionary<string, string>? Add { get; set; }
    public List<string>? Remove { get; set; }
}

public sealed class IstioDestinationRule : CustomResource<DestinationRuleSpec>
{
    public IstioDestinationRule() => (ApiVersion, Kind) = ("networking.istio.io/v1", "DestinationRule");
}

public sealed class DestinationRuleSpec
{
    public string Host { get; set; } = "";
    public IstioTrafficPolicy? TrafficPolicy { get; set; }
    public List<IstioSubset>? Subsets { get; set; }
    public List<string>? ExportTo { get; set; }
    public object? WorkloadSelector { get; set; }
}

public sealed class IstioSubset
{
    public string Name { get; set; } = "";
    public Dictionary<string, string> Labels { get; set; } = [];
    public IstioTrafficPolicy? TrafficPolicy { get; set; }
}

public sealed class IstioTrafficPolicy
{
    public IstioLoadBalancer? LoadBalancer { get; set; }
    public IstioConnectionPool? ConnectionPool { get; set; }
    public IstioOutlierDetection? OutlierDetection { get; set; }
    public object? Tls { get; set; }
    public object? PortLevelSettings { get; set; }
    public object? Tunnel { get; set; }
    public object? ProxyProtocol { get; set; }
    public object? RetryBudget { get; set; }
}

public sealed class IstioLoadBalancer
{
    public string? Simple { get; set; }
    public IstioConsistentHash? ConsistentHash { get; set; }
    public object? LocalityLbSetting { get; set; }
    public object? WarmupDurationSecs { get; set; }
    public object? Warmup { get; set; }
}

public sealed class IstioConsistentHash
{
    public string? HttpHeaderName { get; set; }
    public IstioHttpCookie? HttpCookie { get; set; }
    public bool? UseSourceIp { get; set; }
    public string? HttpQueryParameterName { get; set; }
    public int? MinimumRingSize { get; set; }
    public object? RingHash { get; set; }
    public object? Maglev { get; set; }
}

public sealed class IstioHttpCookie
{
    public string Name { get; set; } = "";
    public string? Path { get; set; }
    public string? Ttl { get; set; }
}

public sealed class IstioConnectionPool
{
    public IstioTcpSettings? Tcp { get; set; }
    public IstioHttpSettings? Http { get; set; }
}

public sealed class IstioTcpSettings
{
    public int? MaxConnections { get; set; }
    public string? ConnectTimeout { get; set; }
    public object? TcpKeepalive { get; set; }
    public object? MaxConnectionDuration { get; set; }
    public object? IdleTimeout { get; set; }
}

public sealed class IstioHttpSettings
{
    public int? Http1MaxPendingRequests { get; set; }
    public int? Http2MaxRequests { get; set; }
    public int? MaxRequestsPerConnection { get; set; }
    public int? MaxRetries { get; set; }
    public string? IdleTimeout { get; set; }
    public object? H2UpgradePolicy { get; set; }
    public object? UseClientProtocol { get; set; }
    public object? MaxConcurrentStreams { get; set; }
}

public sealed class IstioOutlierDetection
{
    public int? Consecutive5xxErrors { get; set; }
    public int? ConsecutiveGatewayErrors { get; set; }
    public string? Interval { get; set; }
    public string? BaseEjectionTime { get; set; }
    public int? MaxEjectionPercent { get; set; }
    public int? MinHealthPercent { get; set; }
    public object? SplitExternalLocalOriginErrors { get; set; }
    public object? ConsecutiveLocalOriginFailures { get; set; }
    public object? ConsecutiveErrors { get; set; }
}

public sealed class IstioGateway : CustomResource<GatewaySpecification>
{
    public IstioGateway() => (ApiVersion, Kind) = ("networking.istio.io/v1", "Gateway");
}

public sealed class GatewaySpecification
{
    public Dictionary<string, string> Selector { get; set; } = [];
    public List<IstioServer> Servers { get; set; } = [];
}

public sealed class IstioServer
{
    public IstioServerPort Port { get; set; } = new();
    public List<string> Hosts { get; set; } = [];

    // Read from a team's files and carried, not emulated.
    public string? Name { get; set; }
    public object? Bind { get; set; }
    public object? DefaultEndpoint { get; set; }
    public object? Tls { get; set; }
}

public sealed class IstioServerPort
{
    public int Number { get; set; }
    public string? Name { get; set; }
    public string Protocol { get; set; } = "";
    public object? TargetPort { get; set; }
}

public sealed class IstioPeerAuthentication : CustomResource<PeerAuthenticationSpec>
{
    public IstioPeerAuthentication() => (ApiVersion, Kind) = ("security.istio.io/v1", "PeerAuthentication");
}

public sealed class PeerAuthenticationSpec
{
    public IstioSelector? Selector { get; set; }
    public IstioMtls? Mtls { get; set; }
    public Dictionary<int, IstioMtls>? PortLevelMtls { get; set; }
    public object? TargetRef { get; set; }
    public object? TargetRefs { get; set; }
}

public sealed class IstioSelector
{
    public Dictionary<string, string> MatchLabels { get; set; } = [];
}

public sealed class IstioMtls
{
    public string Mode { get; set; } = "";
}

public sealed class IstioAuthorizationPolicy : CustomResource<AuthorizationPolicySpec>
{
    public IstioAuthorizationPolicy() => (ApiVersion, Kind) = ("security.istio.io/v1", "AuthorizationPolicy");
}

public sealed class AuthorizationPolicySpec
{
    public IstioSelector? Selector { get; set; }
    public string Action { get; set; } = "";
    public List<IstioAuthorizationRule>? Rules { get; set; }
    public object? Provider { get; set; }
    public object? TargetRef { get; set; }
    public object? TargetRefs { get; set; }
}

public sealed class IstioAuthorizationRule
{
    public List<IstioRuleFrom>? From { get; set; }
    public List<IstioRuleTo>? To { get; set; }
    public List<IstioCondition>? When { get; set; }
}

public sealed class IstioRuleFrom
{
    public IstioSource Source { get; set; } = new();
}

public sealed class IstioSource
{
    public List<string>? Principals { get; set; }
    public List<string>? NotPrincipals { get; set; }
    public List<string>? Namespaces { get; set; }
    public List<string>? NotNamespaces { get; set; }
    public List<string>? IpBlocks { get; set; }
    public List<string>? NotIpBlocks { get; set; }
    public object? RequestPrincipals { get; set; }
    public object? NotRequestPrincipals { get; set; }
    public object? RemoteIpBlocks { get; set; }
    public object? NotRemoteIpBlocks { get; set; }
    public object? ServiceAccounts { get; set; }
    public object? NotServiceAccounts { get; set; }
}

public sealed class IstioRuleTo
{
    public IstioOperation Operation { get; set; } = new();
}

public sealed class IstioOperation
{
    public List<string>? Hosts { get; set; }
    public List<string>? NotHosts { get; set; }
    public List<string>? Ports { get; set; }
    public List<string>? NotPorts { get; set; }
    public List<string>? Methods { get; set; }
    public List<string>? NotMethods { get; set; }
    public List<string>? Paths { get; set; }
    public List<string>? NotPaths { get; set; }
}

public sealed class IstioCondition
{
    public string Key { get; set; } = "";
    public List<string>? Values { get; set; }
    public List<string>? NotValues { get; set; }
}

// Knative: serving.knative.dev/v1 and eventing.knative.dev/v1.

public sealed class KnativeService : CustomResource<KnativeServiceSpec>
{
    public KnativeService() => (ApiVersion, Kind) = ("serving.knative.dev/v1", "Service");
}

public sealed class KnativeServiceSpec
{
    public KnativeRevisionTemplate Template { get; set; } = new();
    public List<KnativeTrafficTarget>? Traffic { get; set; }
}

public sealed class KnativeRevisionTemplate
{
    public V1ObjectMeta Metadata { get; set; } = new();
    public KnativeRevisionSpec Spec { get; set; } = new();
}

public sealed class KnativeRevisionSpec
{
    public long? ContainerConcurrency { get; set; }
    public string? ServiceAccountName { get; set; }
    public List<V1Container> Containers { get; set; } = [];

    // Read from a team's files and carried, not emulated.
    public object? TimeoutSeconds { get; set; }
    public object? ResponseStartTimeoutSeconds { get; set; }
    public object? IdleTimeoutSeconds { get; set; }
    public object? Volumes { get; set; }
    public object? ImagePullSecrets { get; set; }
    public object? EnableServiceLinks { get; set; }
    public object? NodeSelector { get; set; }
    public object? Tolerations { get; set; }
    public object? Affinity { get; set; }
    public object? SecurityContext { get; set; }
}

public sealed class KnativeTrafficTarget
{
    public string? RevisionName { get; set; }
    public bool? LatestRevision { get; set; }
    public long Percent { get; set; }
    public string? Tag { get; set; }
    public object? ConfigurationName { get; set; }
}

public sealed class KnativeBroker : CustomResource<KnativeBrokerSpec>
{
    public KnativeBroker() => (ApiVersion, Kind) = ("eventing.knative.dev/v1", "Broker");
}

public sealed class KnativeBrokerSpec
{
    public KnativeDelivery? Delivery { get; set; }
    public object? Config { get; set; }
}

public sealed class KnativeTrigger : CustomResource<KnativeTriggerSpec>
{
    public KnativeTrigger() => (ApiVersion, Kind) = ("eventing.knative.dev/v1", "Trigger");
}

public sealed class KnativeTriggerSpec
{
    public string Broker { get; set; } = "";
    public KnativeFilter? Filter { get; set; }
    public KnativeDestination Subscriber { get; set; } = new();
    public KnativeDelivery? Delivery { get; set; }
    public object? Filters { get; set; }
}

public sealed class KnativeFilter
{
    public Dictionary<string, string> Attributes { get; set; } = [];
}

public sealed class KnativeDestination
{
    public KnativeReference Ref { get; set; } = new();
    public string? Uri { get; set; }
}

public sealed class KnativeReference
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Name { get; set; } = "";
}

public sealed class KnativeDelivery
{
    public int? Retry { get; set; }
    public string? BackoffPolicy { get; set; }
    public string? BackoffDelay { get; set; }
    public string? Timeout { get; set; }
    public KnativeDestination? DeadLetterSink { get; set; }
}

// Prometheus operator: monitoring.coreos.com/v1.

public sealed class ServiceMonitor : CustomResource<ServiceMonitorSpec>
{
    public ServiceMonitor() => (ApiVersion, Kind) = ("monitoring.coreos.com/v1", "ServiceMonitor");
}

public sealed class ServiceMonitorSpec
{
    public V1LabelSelector Selector { get; set; } = new();
    public List<ServiceMonitorEndpoint> Endpoints { get; set; } = [];
}

public sealed class ServiceMonitorEndpoint
{
    public string Port { get; set; } = "";
    public string? Path { get; set; }
    public string? Interval { get; set; }
}

public sealed class PrometheusRule : CustomResource<PrometheusRuleSpec>
{
    public PrometheusRule() => (ApiVersion, Kind) = ("monitoring.coreos.com/v1", "PrometheusRule");
}

public sealed class PrometheusRuleSpec
{
    public List<PrometheusRuleGroup> Groups { get; set; } = [];
}

public sealed class PrometheusRuleGroup
{
    public string Name { get; set; } = "";
    public List<PrometheusAlert> Rules { get; set; } = [];
}

public sealed class PrometheusAlert
{
    public string Alert { get; set; } = "";
    public string Expr { get; set; } = "";
    public string? For { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}

// Argo CD: argoproj.io/v1alpha1.

public sealed class ArgoCdApplication : CustomResource<ArgoCdApplicationSpec>
{
    public ArgoCdApplication() => (ApiVersion, Kind) = ("argoproj.io/v1alpha1", "Application");
}

public sealed class ArgoCdApplicationSpec
{
    public string Project { get; set; } = "default";
    public ArgoCdSource Source { get; set; } = new();
    public ArgoCdDestination Destination { get; set; } = new();
    public ArgoCdSyncPolicy? SyncPolicy { get; set; }
}

public sealed class ArgoCdSource
{
    public string RepoURL { get; set; } = "";
    public string Path { get; set; } = "";
    public string TargetRevision { get; set; } = "";
}

public sealed class ArgoCdDestination
{
    public string Server { get; set; } = "";
    public string Namespace { get; set; } = "";
}

public sealed class ArgoCdSyncPolicy
{
    public ArgoCdAutomated? Automated { get; set; }
    public List<string>? SyncOptions { get; set; }
}

public sealed class ArgoCdAutomated
{
    public bool Prune { get; set; }
    public bool SelfHeal { get; set; }
}

// kustomize: kustomize.config.k8s.io/v1beta1 (a build file, not an API object).

public sealed class Kustomization
{
    public string ApiVersion { get; set; } = "kustomize.config.k8s.io/v1beta1";
    public string Kind { get; set; } = "Kustomization";
    public V1ObjectMeta? Metadata { get; set; }
    public List<string>? Resources { get; set; }
    public List<KustomizeConfigMap>? ConfigMapGenerator { get; set; }
    public KustomizeGeneratorOptions? GeneratorOptions { get; set; }
}

public sealed class KustomizeConfigMap
{
    public string Name { get; set; } = "";
    public string? Namespace { get; set; }
    public string? Behavior { get; set; }
    public List<string> Literals { get; set; } = [];
}

public sealed class KustomizeGeneratorOptions
{
    public bool DisableNameSuffixHash { get; set; }
}
#pragma warning restore CS1591
