using LocalMesh.Emulator.Configuration;
using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Lifecycle;
using LocalMesh.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>Adds a service mesh to the app model and puts resources into it.</summary>
public static class MeshBuilderExtensions
{
    /// <summary>The ingress gateway's port when none is given: bookinfo's own port, so its URLs read the same.</summary>
    public const int DefaultIngressPort = 9080;

    /// <summary>
    /// Adds the service mesh. In run mode every call between mesh workloads goes through the
    /// mesh's sidecars, which apply its policies and report spans and Istio's metrics.
    /// </summary>
    /// <param name="builder">The app builder.</param>
    /// <param name="name">The mesh resource's name.</param>
    /// <example>
    /// <code>
    /// var mesh = builder.AddMesh("mesh");
    /// var ratings = mesh.AddService("ratings")
    ///     .WithWorkload(builder.AddProject&lt;Projects.Ratings&gt;("ratings-v1"), version: "v1");
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> AddMesh(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Resources.OfType<MeshResource>().FirstOrDefault() is { } existing)
        {
            throw new DistributedApplicationException($"The app model already has a mesh, '{existing.Name}'; add services to it instead of adding a second mesh.");
        }

        builder.AddMeshCore();
        KubernetesPipelineSteps.Add(builder.Pipeline);
        MeshCheckPipelineStep.Add(builder.Pipeline);
        MeshExplainPipelineStep.Add(builder.Pipeline);

        var mesh = new MeshResource(name);
        var resource = builder.AddResource(mesh)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Mesh",
                State = KnownResourceStates.NotStarted,
                Properties = [],
            })
            .WithManifestPublishingCallback(context => MeshManifest.WriteMesh(context, mesh));
        // Evaluates the model's alert rules against the mesh's metrics, where Prometheus is installed.
        LocalPrometheus.Add(builder, mesh);
        return resource;
    }

    /// <summary>
    /// How every sidecar and gateway writes its access log: one line a request, in Istio's default
    /// text format or as JSON (Istio's <c>meshConfig.accessLogEncoding</c>), in the console log of
    /// the workload it belongs to — what <c>kubectl logs -c istio-proxy</c> shows — never in the
    /// AppHost's own console. On, as text, by default (Istio's demo profile).
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="encoding">Text or JSON.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithAccessLog(AccessLogEncoding.Json);
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithAccessLog(this IResourceBuilder<MeshResource> mesh, LocalMesh.Emulator.Configuration.AccessLogEncoding encoding = LocalMesh.Emulator.Configuration.AccessLogEncoding.Text)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return mesh.WithAnnotation(new MeshAccessLogAnnotation(encoding), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>No access logs (Istio's empty <c>meshConfig.accessLogFile</c>).</summary>
    /// <param name="mesh">The mesh.</param>
    public static IResourceBuilder<MeshResource> WithoutAccessLog(this IResourceBuilder<MeshResource> mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return mesh.WithAnnotation(new MeshAccessLogAnnotation(null), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// The percentage of new traces the sidecars record (Istio's Telemetry
    /// <c>randomSamplingPercentage</c>): decided where a trace starts (the gateway, or a caller with
    /// no trace context), and followed by every later hop and application through the
    /// <c>traceparent</c> flags. 100 by default, as Istio's demo profile: locally every request is
    /// worth seeing; Istio's default profile records 1%. The export writes it into Istio's Telemetry.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="percentage">0 to 100.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithTraceSampling(10);
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithTraceSampling(this IResourceBuilder<MeshResource> mesh, double percentage)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        // Checked with the rest of the model before anything starts (one error naming traceSampling).
        return mesh.WithAnnotation(new MeshTraceSamplingAnnotation(percentage), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>The domain of the hosts the export gives several external endpoints: it resolves every name to 127.0.0.1, so a kind cluster's port 80 answers them from the laptop.</summary>
    public const string DefaultIngressDomain = "localtest.me";

    /// <summary>
    /// The domain under which the export serves the app's external endpoints when there are
    /// several: Istio's ingress gateway serves them all on port 80, each on the host
    /// <c>&lt;resource&gt;.&lt;domain&gt;</c> (locally each has a gateway port of its own). One external
    /// endpoint alone is served on every host. <see cref="DefaultIngressDomain"/> by default.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="domain">A DNS domain that points at the cluster's ingress gateway, e.g. <c>shop.example.com</c>.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithAutomaticSidecars().WithIngressDomain("shop.example.com");
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithIngressDomain(this IResourceBuilder<MeshResource> mesh, string domain)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        return mesh.WithAnnotation(new MeshIngressDomainAnnotation(domain.Trim('.')), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Makes the export speak the Kubernetes Gateway API, as Istio's docs now do: each service's
    /// routes become an <c>HTTPRoute</c> attached to its Service (GAMMA), each subset they send to a
    /// Service of that version (<c>reviews-v1</c>), and each ingress gateway a <c>Gateway</c> of
    /// class <c>istio</c> (served by Istio's ingress gateway) with an <c>HTTPRoute</c>. Where the
    /// Gateway API cannot say what a service's routes mean — fault injection, a retry policy, a
    /// mirrored share of requests, a match on the caller's labels — that service keeps its
    /// VirtualService, and the export says why; DestinationRules stay for load balancing,
    /// connection pools and outlier detection. The local mesh behaves the same either way.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithGatewayApi();
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithGatewayApi(this IResourceBuilder<MeshResource> mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return mesh.WithAnnotation(new MeshGatewayApiExportAnnotation(), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Declares hosts outside the mesh the workloads call (Istio's ServiceEntry): their calls leave
    /// through each workload's egress sidecar (<c>HTTP_PROXY</c>), routed to the entry's endpoints
    /// and counted under the host's name, also under <see cref="OutboundTrafficPolicyMode.RegistryOnly"/>.
    /// The export writes it. A VirtualService or DestinationRule for its hosts (TLS origination)
    /// comes from the configuration files.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="entry">The entry, as Istio's ServiceEntry has it.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithServiceEntry(new ServiceEntry("books-api")
    /// {
    ///     Hosts = ["www.googleapis.com"],
    ///     Ports = [new ServiceEntryPort(443, "https", "HTTPS")],
    ///     Resolution = ServiceEntryResolution.Dns,
    /// });
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithServiceEntry(this IResourceBuilder<MeshResource> mesh, ServiceEntry entry)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(entry);
        // Checked with the rest of the model before anything starts, as istiod checks one.
        return mesh.WithAnnotation(new MeshServiceEntryAnnotation(entry), ResourceAnnotationMutationBehavior.Append);
    }

    /// <summary>
    /// What the sidecars do with a workload's call to a host neither a service of the mesh nor a
    /// ServiceEntry has (Istio's <c>meshConfig.outboundTrafficPolicy.mode</c>): let it pass as it
    /// was sent (<see cref="OutboundTrafficPolicyMode.AllowAny"/>, Istio's default), or refuse it
    /// (<see cref="OutboundTrafficPolicyMode.RegistryOnly"/>: HTTP answered 502, an HTTPS tunnel
    /// refused), so a call the cluster would block fails locally too. Workloads reach such hosts
    /// through their egress sidecar, which <c>HTTP_PROXY</c> and <c>HTTPS_PROXY</c> name.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="mode">The policy.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithOutboundTrafficPolicy(OutboundTrafficPolicyMode.RegistryOnly);
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithOutboundTrafficPolicy(this IResourceBuilder<MeshResource> mesh, OutboundTrafficPolicyMode mode)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return mesh.WithAnnotation(new MeshOutboundTrafficPolicyAnnotation(mode), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// The mesh's alert on Istio's request metric, <c>MeshServiceHighErrorRate</c>: a service whose
    /// callers see more than <paramref name="threshold"/> of their requests answered with 5xx, over a
    /// rate <paramref name="window"/>, for <paramref name="pendingFor"/>. Exported as a PrometheusRule,
    /// and evaluated locally by Prometheus when it is installed, its state shown on the mesh in the
    /// dashboard. Without this call: 5% over 5 minutes, for 5 minutes.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="threshold">The share of requests, above 0 and below 1 (0.05 is 5%).</param>
    /// <param name="window">The rate's range (PromQL's <c>[5m]</c>); whole seconds, at least 10 s (two local scrapes).</param>
    /// <param name="pendingFor">How long the rate stays above the threshold before the alert fires (the rule's <c>for</c>); whole seconds.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithErrorRateAlert(threshold: 0.01, window: TimeSpan.FromMinutes(2), pendingFor: TimeSpan.FromMinutes(1));
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithErrorRateAlert(this IResourceBuilder<MeshResource> mesh, double? threshold = null, TimeSpan? window = null, TimeSpan? pendingFor = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var alert = LocalMesh.Kubernetes.Export.ErrorRateAlert.Default;
        // Checked with the rest of the model before anything starts (one error naming the field).
        return mesh.WithAnnotation(new MeshErrorRateAlertAnnotation(alert with
        {
            Threshold = threshold ?? alert.Threshold,
            Window = window ?? alert.Window,
            For = pendingFor ?? alert.For,
        }), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// The mesh's runtime, the subscriber that starts it with the app and the hosted service that
    /// runs its watchers; idempotent, as Aspire's own integrations register their cross-cutting wiring.
    /// </summary>
    internal static IDistributedApplicationBuilder AddMeshCore(this IDistributedApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<MeshRuntime>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MeshWatchers>());
        builder.Services.TryAddEventingSubscriber<MeshSubscriber>();
        return builder;
    }

    /// <summary>
    /// Reads traffic rules from a team's own Istio YAML — the files that go to the cluster — so they
    /// drive the local mesh too: VirtualService and DestinationRule (<c>networking.istio.io</c>
    /// <c>v1</c>, <c>v1beta1</c>, <c>v1alpha3</c>), hosts resolved as Istio resolves them, subsets
    /// selecting workloads by their labels. Every file is checked before anything starts: a mistake
    /// is an error with its file, line and field, and the AppHost starts nothing; what Istio accepts
    /// but cannot work is a warning with Istio's analyzer code. Other kinds are kept for the export.
    /// A service's rules come from its files or from C#, not both.
    /// </summary>
    /// <param name="builder">The mesh.</param>
    /// <param name="path">A YAML file, or a folder searched recursively for <c>*.yaml</c> and <c>*.yml</c>; relative to the AppHost's folder.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithConfigurationFiles("../deploy/istio");
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithConfigurationFiles(this IResourceBuilder<MeshResource> builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.WithAnnotation(new ConfigurationFilesAnnotation(path, builder.ApplicationBuilder.AppHostDirectory));
    }

    /// <summary>
    /// Sets the load balancer of every service whose DestinationRule names none. The default is
    /// Istio's, LEAST_REQUEST (since Istio 1.14), so a rule means locally what it means in the
    /// cluster; ROUND_ROBIN makes local runs repeatable (each replica in turn), and the export then
    /// writes it into every DestinationRule, so the cluster balances the same way.
    /// </summary>
    /// <param name="builder">The mesh.</param>
    /// <param name="loadBalancer">ROUND_ROBIN, LEAST_REQUEST or RANDOM.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithDefaultLoadBalancer(SimpleLoadBalancer.RoundRobin);
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithDefaultLoadBalancer(this IResourceBuilder<MeshResource> builder, LocalMesh.Emulator.Configuration.SimpleLoadBalancer loadBalancer)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (loadBalancer == LocalMesh.Emulator.Configuration.SimpleLoadBalancer.Passthrough)
        {
            throw new ArgumentException($"PASSTHROUGH cannot be the default load balancer of mesh '{builder.Resource.Name}': locally there is no original destination. Use ROUND_ROBIN, LEAST_REQUEST or RANDOM.", nameof(loadBalancer));
        }

        return builder.WithAnnotation(new MeshDefaultLoadBalancerAnnotation(loadBalancer), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>Sets the namespace of the mesh's services and workloads (default <c>default</c>).</summary>
    /// <param name="builder">The mesh.</param>
    /// <param name="namespace">A Kubernetes namespace name.</param>
    public static IResourceBuilder<MeshResource> WithNamespace(this IResourceBuilder<MeshResource> builder, string @namespace)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(@namespace);
        builder.Resource.Namespace = @namespace;
        return builder;
    }

    /// <summary>
    /// Adds a mesh service: a name that callers reference with <c>WithReference</c>. Its traffic
    /// goes to the workloads added with <see cref="WithWorkload"/>, round robin over every
    /// replica until traffic rules say otherwise.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="name">The service name, also the <c>app</c> label of its workloads.</param>
    /// <example>
    /// <code>
    /// var reviews = mesh.AddService("reviews");
    /// builder.AddProject&lt;Projects.ProductPage&gt;("productpage-v1").WithReference(reviews);
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshServiceResource> AddService(this IResourceBuilder<MeshResource> mesh, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var service = new MeshServiceResource(name, mesh.Resource);
        return mesh.AddMeshChild(service, "MeshService")
            .WithManifestPublishingCallback(context => MeshManifest.WriteService(context, service))
            .WithFaultCommands();
    }

    /// <summary>
    /// Makes <paramref name="workload"/> a workload of the service: it gets an inbound sidecar
    /// per replica, an outbound sidecar for every mesh service it references, and the labels
    /// <c>app=&lt;service&gt;</c> and <c>version=&lt;version&gt;</c>.
    /// </summary>
    /// <param name="service">The service.</param>
    /// <param name="workload">A project or executable with an HTTP endpoint (one is added if it has none).</param>
    /// <param name="version">The <c>version</c> label, used by subsets.</param>
    /// <param name="labels">More labels.</param>
    /// <param name="serviceAccount">The service account of the workload's identity; defaults to the workload's name.</param>
    /// <example>
    /// <code>
    /// var reviews = mesh.AddService("reviews")
    ///     .WithWorkload(builder.AddProject&lt;Projects.Reviews&gt;("reviews-v1").WithReplicas(2), version: "v1")
    ///     .WithWorkload(builder.AddProject&lt;Projects.Reviews&gt;("reviews-v2"), version: "v2");
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshServiceResource> WithWorkload<T>(
        this IResourceBuilder<MeshServiceResource> service,
        IResourceBuilder<T> workload,
        string version = "v1",
        IReadOnlyDictionary<string, string>? labels = null,
        string? serviceAccount = null)
        where T : IResourceWithEndpoints, IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);

        var allLabels = (labels ?? ImmutableDictionary<string, string>.Empty).ToImmutableDictionary()
            .SetItem(MeshModelCompiler.AppLabel, service.Resource.Name)
            .SetItem(MeshModelCompiler.VersionLabel, version);

        if (MeshModelCompiler.ProtocolOf(workload.Resource) == ServiceProtocol.Tcp)
        {
            // A workload serving TCP only (a cache, a database): the service's port is TCP too, as callers reference it.
            UseTcpEndpoint(service.Resource);
        }
        else if (!workload.Resource.Annotations.OfType<EndpointAnnotation>().Any(endpoint => endpoint.UriScheme == "http"))
        {
            workload.WithHttpEndpoint();
        }

        workload.WithAnnotation(new MeshWorkloadAnnotation(service.Resource, allLabels, serviceAccount));
        // The dashboard's graph links each workload to the service it serves.
        workload.WithRelationship(service.Resource, "MeshService");
        service.Resource.WorkloadList.Add(workload.Resource);
        return service;
    }

    /// <summary>The service's endpoint becomes <c>tcp</c> (<c>services__&lt;name&gt;__tcp__0=tcp://host:port</c> for callers).</summary>
    private static void UseTcpEndpoint(MeshServiceResource service)
    {
        if (service.Annotations.OfType<EndpointAnnotation>().SingleOrDefault() is { UriScheme: not "tcp" } http)
        {
            service.Annotations.Remove(http);
            service.Annotations.Add(new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "tcp", name: "tcp", port: http.Port, isProxied: false));
        }
    }

    /// <summary>
    /// Adds an ingress gateway: the mesh's entrance for traffic from outside, listening on
    /// <c>http://localhost:&lt;port&gt;</c>.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="name">The gateway's name.</param>
    /// <param name="port">A fixed port; <c>0</c> lets the system choose (for tests).</param>
    /// <example>
    /// <code>
    /// mesh.AddIngressGateway("ingress", port: 9080).WithRoute(productpage);
    /// </code>
    /// </example>
    public static IResourceBuilder<IngressGatewayResource> AddIngressGateway(
        this IResourceBuilder<MeshResource> mesh, [ResourceName] string name, int port = DefaultIngressPort)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var gateway = mesh.AddMeshChild(new IngressGatewayResource(name, mesh.Resource), "IngressGateway", port);
        return gateway.WithManifestPublishingCallback(context => MeshManifest.WriteGateway(context, gateway.Resource));
    }

    /// <summary>
    /// Adds a resource the mesh serves: one HTTP endpoint (allocated by the mesh's listener, so not
    /// proxied by DCP) and a dashboard state of its own.
    /// </summary>
    internal static IResourceBuilder<T> AddMeshChild<T>(this IResourceBuilder<MeshResource> mesh, T resource, string resourceType, int? port = null)
        where T : IResource
    {
        if (mesh.ApplicationBuilder.Resources.FirstOrDefault(other => string.Equals(other.Name, resource.Name, StringComparison.OrdinalIgnoreCase)) is { } existing)
        {
            // Reported with the model's other problems before anything starts; the builder goes on with a resource outside the model.
            var kind = existing.Annotations.OfType<ResourceSnapshotAnnotation>().FirstOrDefault()?.InitialSnapshot.ResourceType
                ?? existing.GetType().Name.Replace("Resource", "", StringComparison.Ordinal);
            mesh.WithAnnotation(new MeshDuplicateNameAnnotation(resource.Name, resourceType, $"{kind} '{existing.Name}'"));
            return mesh.ApplicationBuilder.CreateResourceBuilder(resource);
        }

        return mesh.ApplicationBuilder.AddResource(resource)
            .WithAnnotation(new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "http", name: "http", port: port, isProxied: false))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = resourceType,
                State = KnownResourceStates.NotStarted,
                Properties = [],
            });
    }

    /// <summary>Sends every request the gateway takes to <paramref name="service"/>.</summary>
    /// <param name="gateway">The gateway.</param>
    /// <param name="service">The service to expose.</param>
    public static IResourceBuilder<IngressGatewayResource> WithRoute(
        this IResourceBuilder<IngressGatewayResource> gateway, IResourceBuilder<MeshServiceResource> service)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(service);
        return gateway.WithAnnotation(new IngressRouteAnnotation(service.Resource), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Sets the page a person opens first: the AppHost prints the gateway's address with it when
    /// the mesh is ready, and the dashboard links to it.
    /// </summary>
    /// <param name="gateway">The gateway.</param>
    /// <param name="path">An absolute path, e.g. <c>/productpage</c>.</param>
    /// <example>
    /// <code>
    /// mesh.AddIngressGateway("ingress").WithRoute(productpage).WithLandingPage("/productpage");
    /// </code>
    /// </example>
    public static IResourceBuilder<IngressGatewayResource> WithLandingPage(this IResourceBuilder<IngressGatewayResource> gateway, string path)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!path.StartsWith('/') || !Uri.IsWellFormedUriString(path, UriKind.Relative))
        {
            throw new ArgumentException($"The landing page of gateway '{gateway.Resource.Name}' must be an absolute path such as /productpage, not '{path}'.", nameof(path));
        }

        gateway.Resource.LandingPath = path;
        return gateway;
    }
}
