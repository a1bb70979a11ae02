using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Kubernetes.Export;

/// <summary>
/// What the exporters read: the app model as a cluster needs it. The mesh's traffic and
/// security rules come as the data plane's own <see cref="MeshConfig"/>, so the cluster gets
/// exactly the rules that ran locally.
/// </summary>
/// <param name="Name">The application's name (the Argo CD Application, the kind cluster).</param>
/// <param name="Mesh">The compiled mesh: namespace, services, routes, policies, brokers.</param>
internal sealed record KubernetesAppModel(string Name, MeshConfig Mesh)
{
    /// <summary>The overlays every export has.</summary>
    public static readonly ImmutableArray<string> DefaultEnvironments = ["development", "production"];

    /// <summary>The Deployments: one per workload (a service's version).</summary>
    public ImmutableArray<WorkloadSpec> Workloads { get; init; } = [];

    /// <summary>The Knative Services.</summary>
    public ImmutableArray<FunctionSpec> Functions { get; init; } = [];

    /// <summary>The ingress gateways.</summary>
    public ImmutableArray<GatewaySpec> Gateways { get; init; } = [];

    /// <summary>The kustomize overlays, e.g. development and production.</summary>
    public ImmutableArray<string> Environments { get; init; } = DefaultEnvironments;

    /// <summary>Where an Argo CD Application finds the output; none means no Application.</summary>
    public GitOpsSource? GitOps { get; init; }

    /// <summary>What the model holds that no target can express, found while building this model.</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];

    /// <summary>Objects from the team's configuration files the mesh does not emulate, written to the export as they are.</summary>
    public ImmutableArray<CarriedObject> Carried { get; init; } = [];

    /// <summary>The services whose routes are HTTPRoutes (the files', carried, or the export's own): no VirtualService is written for them.</summary>
    public ImmutableHashSet<string> GatewayApiRoutes { get; init; } = [];

    /// <summary>The Gateways made of the files' Gateway API Gateways, carried as written with their HTTPRoutes: no Istio Gateway or VirtualService is written for them.</summary>
    public ImmutableHashSet<string> GatewayApiGateways { get; init; } = [];

    /// <summary>The subsets (<c>service/subset</c>) an HTTPRoute's backends name as version Services (the files', carried, or the export's own): the subsets are not written.</summary>
    public ImmutableHashSet<string> GatewayApiSubsets { get; init; } = [];

    /// <summary>Whether the export writes the Gateway API's HTTPRoutes and Gateways wherever they say what the routes mean (<c>WithGatewayApi</c>).</summary>
    public bool GatewayApi { get; init; }

    /// <summary>The ingress gateways of the app model the export writes as a Gateway API Gateway and HTTPRoute, not an Istio Gateway and VirtualService.</summary>
    public ImmutableHashSet<string> GatewayApiIngress { get; init; } = [];

    /// <summary>The ServiceEntries the app model declares (the files' are carried as written).</summary>
    public ImmutableArray<ServiceEntry> ServiceEntries { get; init; } = [];

    /// <summary>Whether the app model sets the mesh's outbound traffic policy to <c>REGISTRY_ONLY</c> (exported as the namespace's default Sidecar).</summary>
    public bool RegistryOnly { get; init; }

    /// <summary>
    /// The services whose DestinationRule the files split over several objects, which istiod merges:
    /// their objects are written as the files have them (in <see cref="Carried"/>), not as one merged rule.
    /// </summary>
    public ImmutableHashSet<string> SplitDestinationRules { get; init; } = [];

    /// <summary>What the export's <c>platform/</c> folder installs around the app: all of it by default.</summary>
    public PlatformComponents Platform { get; init; } = PlatformComponents.All;

    /// <summary>The mesh's error-rate alert, exported as a PrometheusRule.</summary>
    public ErrorRateAlert ErrorRateAlert { get; init; } = ErrorRateAlert.Default;
}

/// <summary>The platform the app runs on in the architecture LocalMesh models, each part installed by the export's <c>platform/</c> folder.</summary>
[Flags]
public enum PlatformComponents
{
    /// <summary>No <c>platform/</c> folder.</summary>
    None = 0,

    /// <summary>Istio itself: an <c>IstioOperator</c> (profile, control plane, ingress gateway, mesh configuration).</summary>
    Istio = 1,

    /// <summary>Istio's <c>Telemetry</c>: trace sampling and access logging for the mesh.</summary>
    Telemetry = 2,

    /// <summary>Jaeger all-in-one with in-memory storage, the traces' destination.</summary>
    Jaeger = 4,

    /// <summary>A Prometheus (prometheus-operator) selecting the export's ServiceMonitors and PrometheusRules.</summary>
    Prometheus = 8,

    /// <summary>Fluentd on every node, tailing the containers' JSON logs.</summary>
    Fluentd = 16,

    /// <summary>Everything the architecture runs.</summary>
    All = Istio | Telemetry | Jaeger | Prometheus | Fluentd,
}

/// <summary>An object read from a configuration file and written to the export unchanged.</summary>
/// <param name="ApiVersion">Its apiVersion, e.g. <c>gateway.networking.k8s.io/v1</c>.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Namespace">Its namespace (the mesh's when its file names none).</param>
/// <param name="Name">Its name.</param>
/// <param name="Yaml">Its text, as the file has it.</param>
/// <param name="Source">Where it was read, e.g. <c>deploy/app.yaml:12:1</c>.</param>
internal sealed record CarriedObject(string ApiVersion, string Kind, string Namespace, string Name, string Yaml, string Source);

/// <summary>A workload as a Deployment.</summary>
/// <param name="Name">The workload's name, e.g. <c>reviews-v2</c>.</param>
/// <param name="Service">The mesh service it serves.</param>
/// <param name="Image">The container image.</param>
internal sealed record WorkloadSpec(string Name, string Service, string Image)
{
    /// <summary>The liveness endpoint ServiceDefaults maps.</summary>
    public const string ServiceDefaultsLivenessPath = "/healthz";

    /// <summary>The readiness endpoint ServiceDefaults maps.</summary>
    public const string ServiceDefaultsReadinessPath = "/ready";

    /// <summary>The port ASP.NET Core listens on in its container images.</summary>
    public const int DefaultContainerPort = 8080;

    /// <summary>Pod labels: <c>app</c>, <c>version</c> and the model's own.</summary>
    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The service account, whose SPIFFE identity mTLS and authorization use.</summary>
    public required string ServiceAccount { get; init; }

    /// <summary>Replicas.</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>The port the application listens on in its container.</summary>
    public int ContainerPort { get; init; } = DefaultContainerPort;

    /// <summary>What the port carries (its service's protocol): a TCP port is named <c>tcp</c>, others <c>http</c>.</summary>
    public ServiceProtocol Protocol { get; init; } = ServiceProtocol.Http;

    /// <summary>Environment variables, service references already rewritten to cluster DNS names.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>Values that differ per overlay, by environment: a ConfigMap each.</summary>
    public ImmutableDictionary<string, ImmutableDictionary<string, string>> ConfigByEnvironment { get; init; } =
        ImmutableDictionary<string, ImmutableDictionary<string, string>>.Empty;

    /// <summary>CPU and memory requests and limits.</summary>
    public ContainerResources Resources { get; init; } = ContainerResources.Default;

    /// <summary>The liveness probe's path; none means no probe.</summary>
    public string? LivenessPath { get; init; }

    /// <summary>The readiness probe's path; none means no probe.</summary>
    public string? ReadinessPath { get; init; }

    /// <summary>What the workload may do with the Kubernetes API (a Role and RoleBinding); empty means nothing.</summary>
    public ImmutableArray<ApiAccessRule> ApiAccess { get; init; } = [];
}

/// <summary>CPU and memory for a container, in Kubernetes quantities.</summary>
internal sealed record ContainerResources(string CpuRequest, string MemoryRequest, string? CpuLimit, string MemoryLimit)
{
    /// <summary>A small .NET service's needs; a memory limit always, a CPU limit never (it throttles).</summary>
    public static readonly ContainerResources Default = new("50m", "128Mi", null, "256Mi");
}

/// <summary>One rule of a workload's Role.</summary>
/// <param name="ApiGroups">API groups, "" for the core group.</param>
/// <param name="Resources">Resources, e.g. <c>configmaps</c>.</param>
/// <param name="Verbs">Verbs, e.g. <c>get</c>, <c>list</c>, <c>watch</c>.</param>
internal sealed record ApiAccessRule(ImmutableArray<string> ApiGroups, ImmutableArray<string> Resources, ImmutableArray<string> Verbs);

/// <summary>A function as a Knative Service.</summary>
/// <param name="Name">The Knative Service's name.</param>
/// <param name="Image">The container image.</param>
internal sealed record FunctionSpec(string Name, string Image)
{
    /// <summary>Environment variables every revision gets.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>The revisions, oldest first; the last one is the template of the Service.</summary>
    public ImmutableArray<FunctionRevisionSpec> Revisions { get; init; } = [];

    /// <summary>Scaling, with Knative's names.</summary>
    public FunctionScaling Scaling { get; init; } = new();

    /// <summary>Traffic targets; empty means all to the latest revision.</summary>
    public ImmutableArray<TrafficTargetSpec> Traffic { get; init; } = [];

    /// <summary>CPU and memory for the container.</summary>
    public ContainerResources Resources { get; init; } = ContainerResources.Default;
}

/// <summary>A function revision: its name and what it sets over the function's environment.</summary>
internal sealed record FunctionRevisionSpec(string Name, ImmutableDictionary<string, string> Environment);

/// <summary>A Knative traffic target.</summary>
internal sealed record TrafficTargetSpec(string? RevisionName, int Percent, string? Tag);

/// <summary>An ingress gateway: a port on the mesh's ingress for one service.</summary>
internal sealed record GatewaySpec(string Name, int Port, string Service)
{
    /// <summary>The host the gateway serves the service on; every host (<c>*</c>) when it is the only one.</summary>
    public string Host { get; init; } = "*";
}

/// <summary>Where Argo CD finds the exported folder.</summary>
/// <param name="RepositoryUrl">The Git repository.</param>
/// <param name="Path">The folder in it (an overlay).</param>
/// <param name="TargetRevision">The branch, tag or commit.</param>
internal sealed record GitOpsSource(string RepositoryUrl, string Path, string TargetRevision = "HEAD");
