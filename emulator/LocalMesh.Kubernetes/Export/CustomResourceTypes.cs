using k8s;
using k8s.Models;

namespace LocalMesh.Kubernetes.Export;

/// <summary>
/// Every kind the export writes, with its typed class and its REST name: how exported YAML is
/// read back (<see cref="KubernetesYaml.LoadAllFromString(string, IDictionary{string, Type}, bool)"/>)
/// and applied.
/// </summary>
internal static class CustomResourceTypes
{
    /// <summary>One kind: apiVersion, kind, its class, its plural and whether it lives in a namespace.</summary>
    public sealed record KindInfo(string ApiVersion, string Kind, Type Type, string Plural, bool Namespaced = true)
    {
        /// <summary>The API group ("" for the core group).</summary>
        public string Group => ApiVersion.Contains('/', StringComparison.Ordinal) ? ApiVersion[..ApiVersion.IndexOf('/', StringComparison.Ordinal)] : "";

        /// <summary>The version.</summary>
        public string Version => ApiVersion[(ApiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];
    }

    /// <summary>The kinds, in the order they are applied (namespaces and identities first, custom resources last).</summary>
    public static IReadOnlyList<KindInfo> Kinds { get; } =
    [
        new("v1", "Namespace", typeof(V1Namespace), "namespaces", Namespaced: false),
        new("v1", "ServiceAccount", typeof(V1ServiceAccount), "serviceaccounts"),
        new("rbac.authorization.k8s.io/v1", "ClusterRole", typeof(V1ClusterRole), "clusterroles", Namespaced: false),
        new("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", typeof(V1ClusterRoleBinding), "clusterrolebindings", Namespaced: false),
        new("rbac.authorization.k8s.io/v1", "Role", typeof(V1Role), "roles"),
        new("rbac.authorization.k8s.io/v1", "RoleBinding", typeof(V1RoleBinding), "rolebindings"),
        new("v1", "ConfigMap", typeof(V1ConfigMap), "configmaps"),
        new("v1", "Service", typeof(V1Service), "services"),
        new("apps/v1", "Deployment", typeof(V1Deployment), "deployments"),
        new("apps/v1", "DaemonSet", typeof(V1DaemonSet), "daemonsets"),
        new("install.istio.io/v1alpha1", "IstioOperator", typeof(IstioOperator), "istiooperators"),
        new("telemetry.istio.io/v1", "Telemetry", typeof(IstioTelemetry), "telemetries"),
        new("jaegertracing.io/v1", "Jaeger", typeof(Jaeger), "jaegers"),
        new("monitoring.coreos.com/v1", "Prometheus", typeof(Prometheus), "prometheuses"),
        new("networking.istio.io/v1", "DestinationRule", typeof(IstioDestinationRule), "destinationrules"),
        new("networking.istio.io/v1", "VirtualService", typeof(IstioVirtualService), "virtualservices"),
        new("networking.istio.io/v1", "Gateway", typeof(IstioGateway), "gateways"),
        new("networking.istio.io/v1", "ServiceEntry", typeof(IstioServiceEntry), "serviceentries"),
        new("networking.istio.io/v1", "Sidecar", typeof(IstioSidecar), "sidecars"),
        new("networking.istio.io/v1", "WorkloadEntry", typeof(CarriedResource), "workloadentries"),
        new("networking.istio.io/v1alpha3", "EnvoyFilter", typeof(CarriedResource), "envoyfilters"),
        new("security.istio.io/v1", "RequestAuthentication", typeof(CarriedResource), "requestauthentications"),
        new("gateway.networking.k8s.io/v1", "Gateway", typeof(GatewayApiGateway), "gateways"),
        new("gateway.networking.k8s.io/v1", "HTTPRoute", typeof(GatewayApiHttpRoute), "httproutes"),
        new("gateway.networking.k8s.io/v1", "GRPCRoute", typeof(CarriedResource), "grpcroutes"),
        new("gateway.networking.k8s.io/v1alpha2", "TCPRoute", typeof(CarriedResource), "tcproutes"),
        new("gateway.networking.k8s.io/v1alpha2", "TLSRoute", typeof(CarriedResource), "tlsroutes"),
        new("gateway.networking.k8s.io/v1beta1", "ReferenceGrant", typeof(CarriedResource), "referencegrants"),
        new("security.istio.io/v1", "PeerAuthentication", typeof(IstioPeerAuthentication), "peerauthentications"),
        new("security.istio.io/v1", "AuthorizationPolicy", typeof(IstioAuthorizationPolicy), "authorizationpolicies"),
        new("serving.knative.dev/v1", "Service", typeof(KnativeService), "services"),
        new("eventing.knative.dev/v1", "Broker", typeof(KnativeBroker), "brokers"),
        new("eventing.knative.dev/v1", "Trigger", typeof(KnativeTrigger), "triggers"),
        new("monitoring.coreos.com/v1", "ServiceMonitor", typeof(ServiceMonitor), "servicemonitors"),
        new("monitoring.coreos.com/v1", "PrometheusRule", typeof(PrometheusRule), "prometheusrules"),
        new("argoproj.io/v1alpha1", "Application", typeof(ArgoCdApplication), "applications"),
    ];

    /// <summary>The type map <see cref="KubernetesYaml"/> reads documents with: <c>apiVersion/kind</c> → class.</summary>
    public static IDictionary<string, Type> TypeMap { get; } = Kinds.ToDictionary(kind => $"{kind.ApiVersion}/{kind.Kind}", kind => kind.Type);

    /// <summary>Where <paramref name="item"/>'s kind comes in <see cref="Kinds"/>: the order a deploy applies kinds in.</summary>
    public static int ApplyOrder(IKubernetesObject<V1ObjectMeta> item)
    {
        var kind = Of(item);
        return Kinds.ToList().FindIndex(known => known.Group == kind.Group && known.Kind == kind.Kind);
    }

    /// <summary>The kind of <paramref name="item"/>, in the version it is written in (a team's file may use an older one, e.g. HTTPRoute v1beta1).</summary>
    /// <exception cref="ArgumentException">The export does not write that kind.</exception>
    public static KindInfo Of(IKubernetesObject<V1ObjectMeta> item) =>
        Find(item.ApiVersion, item.Kind) ?? throw new ArgumentException($"{item.ApiVersion} {item.Kind} is not a kind LocalMesh exports.", nameof(item));

    /// <summary>The kind <paramref name="apiVersion"/> and <paramref name="kind"/> name, in that version; null when a deploy cannot apply it.</summary>
    public static KindInfo? Find(string apiVersion, string kind)
    {
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        return Kinds.FirstOrDefault(known => known.Group == group && known.Kind == kind) is { } found ? found with { ApiVersion = apiVersion } : null;
    }
}
