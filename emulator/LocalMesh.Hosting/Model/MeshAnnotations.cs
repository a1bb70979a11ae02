using LocalMesh.Emulator.Configuration;
using System.Collections.Immutable;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>Marks a resource as a workload of a mesh service: it gets sidecars and serves the service.</summary>
/// <param name="Service">The service it serves.</param>
/// <param name="Labels">Its labels (<c>app</c>, <c>version</c> and any others).</param>
/// <param name="ServiceAccount">The service account of its identity; <c>null</c> means the workload's name.</param>
internal sealed record MeshWorkloadAnnotation(
    MeshServiceResource Service,
    ImmutableDictionary<string, string> Labels,
    string? ServiceAccount) : IResourceAnnotation;

/// <summary>Where an ingress gateway sends the traffic it takes.</summary>
/// <param name="Service">The service every request goes to.</param>
internal sealed record IngressRouteAnnotation(IMeshServiceResource Service) : IResourceAnnotation;

/// <summary>One HTTP route of a mesh service's VirtualService; routes are tried in the order they were added.</summary>
/// <param name="Route">The route.</param>
internal sealed record MeshHttpRouteAnnotation(LocalMesh.Emulator.Configuration.HttpRoute Route) : IResourceAnnotation;

/// <summary>A TCP route of a mesh service (VirtualService <c>tcp[]</c>), in the order added.</summary>
/// <param name="Route">The route.</param>
internal sealed record MeshTcpRouteAnnotation(LocalMesh.Emulator.Configuration.TcpRoute Route) : IResourceAnnotation;

/// <summary>One subset of a mesh service's DestinationRule.</summary>
/// <param name="Subset">The subset.</param>
internal sealed record MeshSubsetAnnotation(LocalMesh.Emulator.Configuration.Subset Subset) : IResourceAnnotation;

/// <summary>The traffic policy of a mesh service's DestinationRule.</summary>
/// <param name="Policy">The policy.</param>
internal sealed record MeshTrafficPolicyAnnotation(LocalMesh.Emulator.Configuration.TrafficPolicy Policy) : IResourceAnnotation;

/// <summary>A PeerAuthentication policy of the mesh.</summary>
/// <param name="Policy">The policy.</param>
internal sealed record MeshPeerAuthenticationAnnotation(LocalMesh.Emulator.Configuration.PeerAuthentication Policy) : IResourceAnnotation;

/// <summary>An AuthorizationPolicy of the mesh.</summary>
/// <param name="Policy">The policy.</param>
internal sealed record MeshAuthorizationPolicyAnnotation(LocalMesh.Emulator.Configuration.AuthorizationPolicy Policy) : IResourceAnnotation;

/// <summary>The load balancer where a DestinationRule sets none, when not Istio's LEAST_REQUEST.</summary>
/// <param name="LoadBalancer">The load balancer.</param>
internal sealed record MeshDefaultLoadBalancerAnnotation(LocalMesh.Emulator.Configuration.SimpleLoadBalancer LoadBalancer) : IResourceAnnotation;

/// <summary>Istio YAML the mesh reads its rules from: a file or a folder, searched recursively.</summary>
/// <param name="Path">The path as given (shown in messages).</param>
/// <param name="BaseDirectory">Where a relative path starts: the AppHost's folder.</param>
internal sealed record ConfigurationFilesAnnotation(string Path, string BaseDirectory) : IResourceAnnotation;

/// <summary>A function's scaling (Knative's <c>containerConcurrency</c> and autoscaling annotations), for every revision.</summary>
/// <param name="Scaling">The settings.</param>
internal sealed record FunctionScalingAnnotation(LocalMesh.Emulator.Configuration.FunctionScaling Scaling) : IResourceAnnotation;

/// <summary>One revision of a function: an immutable snapshot of its configuration, here its environment.</summary>
/// <param name="Name">The revision name, e.g. <c>sentiment-00002</c>.</param>
/// <param name="Environment">Environment variables this revision sets over the function's own.</param>
internal sealed record FunctionRevisionAnnotation(string Name, ImmutableDictionary<string, string> Environment) : IResourceAnnotation;

/// <summary>One traffic target of a function's route (Knative <c>spec.traffic[]</c>).</summary>
/// <param name="RevisionName">The revision; <c>null</c> means the latest ready revision.</param>
/// <param name="Percent">Its share of the traffic; all targets sum to 100.</param>
/// <param name="Tag">A tag giving the revision its own route.</param>
internal sealed record FunctionTrafficAnnotation(string? RevisionName, int Percent, string? Tag) : IResourceAnnotation;

/// <summary>A trigger of a broker.</summary>
/// <param name="Trigger">The trigger.</param>
internal sealed record BrokerTriggerAnnotation(LocalMesh.Emulator.Configuration.TriggerConfig Trigger) : IResourceAnnotation;

/// <summary>A broker's delivery settings, for triggers that set none.</summary>
/// <param name="Delivery">The settings.</param>
internal sealed record BrokerDeliveryAnnotation(LocalMesh.Emulator.Configuration.DeliverySpec Delivery) : IResourceAnnotation;

/// <summary>Where an Argo CD Application finds the exported folder.</summary>
/// <param name="Source">The repository, path and revision.</param>
internal sealed record GitOpsAnnotation(LocalMesh.Kubernetes.Export.GitOpsSource Source) : IResourceAnnotation;

/// <summary>A workload's CPU and memory in Kubernetes (requests and limits).</summary>
/// <param name="Resources">The quantities.</param>
internal sealed record KubernetesResourcesAnnotation(LocalMesh.Kubernetes.Export.ContainerResources Resources) : IResourceAnnotation;

/// <summary>What the export's platform/ folder installs.</summary>
/// <param name="Components">The parts.</param>
internal sealed record MeshPlatformAnnotation(LocalMesh.Kubernetes.Export.PlatformComponents Components) : IResourceAnnotation;

/// <summary>Istio's trace sampling percentage for the mesh (Telemetry <c>randomSamplingPercentage</c>).</summary>
/// <param name="Percentage">0–100.</param>
internal sealed record MeshTraceSamplingAnnotation(double Percentage) : IResourceAnnotation;

/// <summary>The domain under which the export serves several external endpoints, one host each.</summary>
/// <param name="Domain">e.g. <c>shop.example.com</c>.</param>
internal sealed record MeshIngressDomainAnnotation(string Domain) : IResourceAnnotation;

/// <summary>The export writes the Gateway API's HTTPRoutes and Gateways where they say what the routes mean (<c>WithGatewayApi</c>).</summary>
internal sealed record MeshGatewayApiExportAnnotation : IResourceAnnotation;

/// <summary>A ServiceEntry the app model declares: a host outside the mesh its workloads call.</summary>
/// <param name="Entry">The entry.</param>
internal sealed record MeshServiceEntryAnnotation(ServiceEntry Entry) : IResourceAnnotation;

/// <summary>Istio's <c>meshConfig.outboundTrafficPolicy.mode</c> for the mesh.</summary>
/// <param name="Mode">What a sidecar does with a call to a host outside the registry.</param>
internal sealed record MeshOutboundTrafficPolicyAnnotation(OutboundTrafficPolicyMode Mode) : IResourceAnnotation;

/// <summary>The mesh's error-rate alert: its threshold, rate window and <c>for</c>.</summary>
/// <param name="Alert">The settings.</param>
internal sealed record MeshErrorRateAlertAnnotation(LocalMesh.Kubernetes.Export.ErrorRateAlert Alert) : IResourceAnnotation;

/// <summary>The image a workload runs as in a cluster, in place of what runs locally, and the port it listens on there.</summary>
/// <param name="Image">E.g. <c>redis:alpine</c>.</param>
/// <param name="ContainerPort">E.g. 6379.</param>
internal sealed record KubernetesImageAnnotation(string Image, int ContainerPort) : IResourceAnnotation;

/// <summary>An environment variable whose value depends on the environment (a kustomize overlay); locally the development value applies.</summary>
/// <param name="Environment">The overlay, e.g. <c>production</c>.</param>
/// <param name="Name">The variable.</param>
/// <param name="Value">Its value there.</param>
internal sealed record EnvironmentOverlayAnnotation(string Environment, string Name, string Value) : IResourceAnnotation;

/// <summary>What a workload may do with the Kubernetes API: a rule of its Role.</summary>
/// <param name="Rule">The rule.</param>
internal sealed record KubernetesApiAccessAnnotation(LocalMesh.Kubernetes.Export.ApiAccessRule Rule) : IResourceAnnotation;

/// <summary>
/// On the mesh: every project and executable with an HTTP endpoint gets sidecars and becomes the
/// workload of a mesh service of its own name, as Istio's <c>istio-injection=enabled</c> does for a
/// namespace.
/// </summary>
internal sealed record MeshAutomaticSidecarsAnnotation : IResourceAnnotation;

/// <summary>On a resource: no sidecar for it, as Istio's <c>sidecar.istio.io/inject: "false"</c>.</summary>
internal sealed record MeshSidecarExcludedAnnotation : IResourceAnnotation;

/// <summary>On a resource the mesh injects: its <c>version</c> label and any others.</summary>
/// <param name="Version">The <c>version</c> label; <c>null</c> keeps <c>v1</c>.</param>
/// <param name="Labels">More labels (subsets and <c>sourceLabels</c> select on them).</param>
internal sealed record MeshInjectionAnnotation(string? Version, ImmutableDictionary<string, string> Labels) : IResourceAnnotation;

/// <summary>
/// On the mesh: a resource it was asked to add under a name the app already uses. Kept to be
/// reported with every other problem of the model before anything starts, rather than thrown from
/// the AppHost's code with a stack trace.
/// </summary>
/// <param name="Name">The name asked for.</param>
/// <param name="ResourceType">The kind of resource asked for, e.g. <c>MeshService</c>.</param>
/// <param name="Existing">The resource that already has the name, with its kind, e.g. <c>Project 'reviews'</c>.</param>
internal sealed record MeshDuplicateNameAnnotation(string Name, string ResourceType, string Existing) : IResourceAnnotation;

/// <summary>On a workload: when a replica exits it stays down; the mesh does not start it again as a Deployment would.</summary>
internal sealed record MeshRestartsDisabledAnnotation : IResourceAnnotation;

/// <summary>On the mesh: how the sidecars write their access logs; <c>null</c> writes none.</summary>
/// <param name="Encoding">Text (Istio's default format) or JSON, or <c>null</c> for no access log.</param>
internal sealed record MeshAccessLogAnnotation(LocalMesh.Emulator.Configuration.AccessLogEncoding? Encoding) : IResourceAnnotation;
