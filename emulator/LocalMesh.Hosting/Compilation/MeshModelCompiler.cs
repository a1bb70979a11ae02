using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Eventing;
using LocalMesh.Kubernetes;
using LocalMesh.Hosting;
using LocalMesh.Kubernetes.Export;
using LocalMesh.Kubernetes.Import;

namespace Aspire.Hosting;

/// <summary>The mesh compiled from the app model: its topology, the data plane's configuration and what to say about it.</summary>
/// <param name="Topology">What is fixed for the run: workloads, calls, what was injected and exposed.</param>
/// <param name="Config">The data plane's configuration.</param>
/// <param name="Notices">Where the emulator cannot do exactly what Istio or Knative would, to say at start-up.</param>
/// <param name="Warnings">What the configuration files hold that Istio accepts but cannot work, or that is only carried, to say at start-up.</param>
/// <param name="RuleSources">For each service whose rules come from files, the objects and where they are.</param>
/// <param name="Carried">The files' objects the mesh does not emulate, for the export.</param>
internal sealed record CompiledMesh(
    MeshTopology Topology,
    MeshConfig Config,
    IReadOnlyList<MeshNotice> Notices,
    IReadOnlyList<string> Warnings,
    IReadOnlyDictionary<string, string> RuleSources,
    IReadOnlyList<ConfigDocument> Carried)
{
    /// <summary>Each workload resource with its configuration.</summary>
    public ImmutableArray<(IResource Resource, WorkloadConfig Workload)> Workloads => Topology.Workloads;

    /// <summary>Each call from a workload to a mesh service (or an injected resource, whose service has its name), carried by an outbound listener.</summary>
    public ImmutableArray<(IResource Caller, IResource Callee, ListenerConfig Listener)> Calls => Topology.Calls;

    /// <summary>The resources the mesh injected (<c>WithAutomaticSidecars</c>): each is the workload of a service of its own name.</summary>
    public IReadOnlySet<IResource> Injected => Topology.Injected;

    /// <summary>The injected resources with an external HTTP endpoint, each with the ingress gateway's port that exposes it.</summary>
    public ImmutableArray<(IResource Resource, ListenerConfig Listener)> Exposed => Topology.Exposed;

    /// <summary>The files' routes and DestinationRules, by what the validator calls them (a service, or <c>virtualservice/&lt;name&gt;</c>).</summary>
    public IReadOnlyDictionary<string, ImportedServiceRules> ImportedRules { get; init; } = new Dictionary<string, ImportedServiceRules>();

    /// <summary>The Gateways made of the files' Gateway API Gateways (carried as written, not exported again).</summary>
    public IReadOnlyList<string> GatewayApiGateways { get; init; } = [];

    /// <summary>The services the files' HTTPRoutes or TCPRoutes route (the Gateway API), with the subsets their backends name.</summary>
    public IReadOnlyDictionary<string, ImmutableArray<Subset>> GatewayApiServices { get; init; } = new Dictionary<string, ImmutableArray<Subset>>();

    /// <summary>Where the rule at <paramref name="field"/> (e.g. <c>http[1]</c>) of <paramref name="rules"/> was read, e.g. <c>reviews.yaml:14:5</c>; null when written in C#.</summary>
    public string? SourceOf(string rules, string field) => ImportedRules.GetValueOrDefault(rules)?.Source(field)?.Location.ToString();

    /// <summary>The alert rules: the mesh's error-rate alert and the files' PrometheusRules.</summary>
    public required MeshAlertRules AlertRules { get; init; }

    /// <summary>Each function's traffic targets as the app model or a file gives them (empty: all to the latest revision), by function name.</summary>
    public IReadOnlyDictionary<string, ImmutableArray<TrafficTargetSpec>> FunctionTraffic { get; init; } = new Dictionary<string, ImmutableArray<TrafficTargetSpec>>();
}

/// <summary>
/// Turns the app model into a <see cref="MeshConfig"/>, validating all of it first and reporting
/// every problem at once.
/// </summary>
internal static class MeshModelCompiler
{
    public const string AppLabel = "app";
    public const string VersionLabel = "version";
    public const string KnativeServiceLabel = "serving.knative.dev/service";
    public const string KnativeRevisionLabel = "serving.knative.dev/revision";

    /// <summary>
    /// <see cref="Compile(DistributedApplicationModel, MeshResource)"/>, then the checks that need a tool of the machine: before the mesh starts and in <c>mesh-check</c>.
    /// </summary>
    /// <exception cref="MeshModelException">The model, or what the tools say of it, has errors.</exception>
    public static CompiledMesh CompileAndCheck(DistributedApplicationModel model, MeshResource mesh) => Check(Compile(model, mesh));

    /// <summary>
    /// What a saved file changes while the app runs: the rules of the C# model and the files compiled
    /// again against the topology the run started with, which does not change; then the checks that
    /// need a tool of the machine.
    /// </summary>
    /// <exception cref="MeshModelException">The rules have errors.</exception>
    public static CompiledMesh CompileRules(MeshTopology topology) => Check(Compile(topology, [], []));

    /// <summary>The checks that need a tool of the machine: <c>promtool</c> on the alert rules.</summary>
    private static CompiledMesh Check(CompiledMesh compiled)
    {
        if (compiled.AlertRules.CheckWithPromtool(compiled.Topology.Mesh.Namespace) is { Count: > 0 } errors)
        {
            throw new MeshModelException(errors, compiled.Warnings);
        }

        return compiled;
    }

    /// <summary>The model compiled and validated, every problem at once; what it needs of the machine is not checked (see <see cref="CompileAndCheck"/>).</summary>
    /// <exception cref="MeshModelException">The model has errors.</exception>
    public static CompiledMesh Compile(DistributedApplicationModel model, MeshResource mesh)
    {
        var errors = new List<ConfigError>();
        var warnings = new List<string>();
        return Compile(MeshTopology.Read(model, mesh, errors, warnings), errors, warnings);
    }

    /// <summary>The rules (routes, policies, scaling, triggers, alert rules) of the C# model and the files, compiled against <paramref name="topology"/> and validated.</summary>
    private static CompiledMesh Compile(MeshTopology topology, List<ConfigError> errors, List<string> warnings)
    {
        var mesh = topology.Mesh;
        var fromFiles = ImportFiles(topology, errors, warnings);
        CheckModelBesideFiles(topology, fromFiles, errors);

        // A function's traffic as the files or the app model give it, read once for the data plane and the export.
        var functionTraffic = topology.Functions.ToDictionary(function => function.Name, function => fromFiles.Functions.TryGetValue(function.Name, out var imported)
            ? imported.Traffic
            : [.. function.Annotations.OfType<FunctionTrafficAnnotation>().Select(target => new TrafficTargetSpec(target.RevisionName, target.Percent, target.Tag))]);
        var functions = topology.Functions.Select(function => FunctionConfig(
            function, fromFiles.Functions.GetValueOrDefault(function.Name)?.Scaling, functionTraffic[function.Name], errors)).ToList();
        var brokers = topology.Brokers.Select(broker => BrokerConfig(broker, fromFiles.Eventing)).ToList();
        var config = MeshConfigOf(topology, fromFiles, functions, brokers);
        var alertRules = MeshAlertRules.Compile(mesh, fromFiles.AlertRules, errors);
        var notices = Validate(config, fromFiles, errors, warnings);
        if (errors.Count > 0)
        {
            throw new MeshModelException(errors, warnings);
        }

        return new CompiledMesh(topology, config, notices, warnings, RuleSources(fromFiles, topology.Brokers, mesh.Namespace), fromFiles.Carried)
        {
            ImportedRules = fromFiles.Rules,
            GatewayApiServices = fromFiles.GatewayApiServices,
            GatewayApiGateways = fromFiles.GatewayApiGateways,
            FunctionTraffic = functionTraffic,
            AlertRules = alertRules,
        };
    }

    /// <summary>The mesh services of the C# model (each injected resource is one of its own name), with what the configuration files give them.</summary>
    /// <exception cref="MeshModelException">A file has errors: checking what came of a broken file would only repeat them.</exception>
    private static ConfigurationFileRules ImportFiles(MeshTopology topology, List<ConfigError> errors, List<string> warnings)
    {
        var mesh = topology.Mesh;
        var meshServices = topology.Services.Select(service => ServiceConfig(service) with { Protocol = topology.Protocols[service.Name] })
            .Concat(topology.Workloads.Where(w => topology.Injected.Contains(w.Resource)).Select(w => new MeshServiceConfig(w.Resource.Name) { Protocol = topology.Protocols[w.Resource.Name] }))
            .ToList();
        if (mesh.Annotations.OfType<ConfigurationFilesAnnotation>().ToList() is not { Count: > 0 } files)
        {
            return ConfigurationFileRules.None(meshServices);
        }

        var fromFiles = ConfigurationFileRules.Compile(
            files, mesh.Namespace, meshServices, topology.Workloads.Select(w => w.Workload).ToList(), topology.Functions, topology.Brokers,
            [.. PeerAuthentications(mesh)], [.. AuthorizationPolicies(mesh)], [.. mesh.Annotations.OfType<MeshServiceEntryAnnotation>().Select(annotation => annotation.Entry)], errors, warnings);
        return errors.Count > 0 ? throw new MeshModelException(errors, warnings) : fromFiles;
    }

    /// <summary>What the C# model says that the files contradict or leave without a meaning.</summary>
    private static void CheckModelBesideFiles(MeshTopology topology, ConfigurationFileRules fromFiles, List<ConfigError> errors)
    {
        var mesh = topology.Mesh;
        if (fromFiles.OutboundTrafficPolicy is { From: var sidecar } && mesh.Annotations.OfType<MeshOutboundTrafficPolicyAnnotation>().Any())
        {
            errors.Add(new($"{sidecar.Location} {sidecar.Object(mesh.Namespace)}", "spec.outboundTrafficPolicy",
                "sets the mesh's outbound traffic policy, which the app model sets too (WithOutboundTrafficPolicy).", "keep it in one place: remove it from the C# model or from the file."));
        }

        // A gateway serves what the Gateways that select it route; the route the app model gives it applies while none does.
        var gatewaysFromFiles = fromFiles.Gateways.Any(gateway => gateway.SelectsIngressGateway);
        foreach (var gateway in topology.Gateways.Where(gateway => !gatewaysFromFiles && !gateway.Annotations.OfType<IngressRouteAnnotation>().Any()))
        {
            errors.Add(new(gateway.Name, "route", "sends its traffic nowhere.",
                $"call {gateway.Name}.WithRoute(service) with the service to expose, or give the mesh a Gateway and its VirtualService in a configuration file."));
        }
    }

    /// <summary>The data plane's configuration: the topology's workloads and listeners with the rules of the model and the files.</summary>
    private static MeshConfig MeshConfigOf(
        MeshTopology topology, ConfigurationFileRules fromFiles, List<(MeshServiceConfig Service, List<WorkloadConfig> Revisions)> functions, List<BrokerConfig> brokers)
    {
        var mesh = topology.Mesh;
        var revisions = functions.SelectMany(function => function.Revisions).ToList();
        // A broker sends as a workload of its own: it has an identity, and an outbound sidecar per subscriber and sink.
        var senders = brokers.Select(broker => new WorkloadConfig(
            broker.Name, null, ImmutableDictionary<string, string>.Empty.Add(AppLabel, broker.Name), broker.Name, Replicas: 0));
        return new MeshConfig
        {
            Namespace = mesh.Namespace,
            DefaultLoadBalancer = mesh.Annotations.OfType<MeshDefaultLoadBalancerAnnotation>().LastOrDefault()?.LoadBalancer ?? MeshConfig.IstioDefaultLoadBalancer,
            AccessLog = mesh.Annotations.OfType<MeshAccessLogAnnotation>().LastOrDefault() is { } accessLog ? accessLog.Encoding : AccessLogEncoding.Text,
            TraceSampling = mesh.Annotations.OfType<MeshTraceSamplingAnnotation>().LastOrDefault()?.Percentage ?? MeshConfig.DefaultTraceSampling,
            Services = [.. fromFiles.Services, .. functions.Select(function => function.Service)],
            Workloads = [.. topology.Workloads.Select(w => w.Workload), .. revisions, .. senders],
            Brokers = [.. brokers],
            Listeners = Listeners(topology, revisions, brokers),
            PeerAuthentications = [.. PeerAuthentications(mesh), .. fromFiles.PeerAuthentications],
            AuthorizationPolicies = [.. AuthorizationPolicies(mesh), .. fromFiles.AuthorizationPolicies],
            Gateways = [.. fromFiles.Gateways],
            GatewayVirtualServices = [.. fromFiles.GatewayVirtualServices],
            ServiceEntries = [.. mesh.Annotations.OfType<MeshServiceEntryAnnotation>().Select(annotation => annotation.Entry), .. fromFiles.ServiceEntries],
            ExternalServices = [.. fromFiles.ExternalServices],
            OutboundTrafficPolicy = fromFiles.OutboundTrafficPolicy?.Mode ?? mesh.Annotations.OfType<MeshOutboundTrafficPolicyAnnotation>().LastOrDefault()?.Mode ?? OutboundTrafficPolicyMode.AllowAny,
        };
    }

    private static IEnumerable<PeerAuthentication> PeerAuthentications(MeshResource mesh) =>
        mesh.Annotations.OfType<MeshPeerAuthenticationAnnotation>().Select(annotation => annotation.Policy);

    private static IEnumerable<AuthorizationPolicy> AuthorizationPolicies(MeshResource mesh) =>
        mesh.Annotations.OfType<MeshAuthorizationPolicyAnnotation>().Select(annotation => annotation.Policy);

    /// <summary>
    /// Every listener of the run: each replica's inbound sidecar, each call's outbound one, each
    /// workload's egress proxy, each service's and broker's own address, the brokers' outbound
    /// sidecars to their subscribers and sinks, and the ingress gateways' ports.
    /// </summary>
    private static ImmutableArray<ListenerConfig> Listeners(MeshTopology topology, List<WorkloadConfig> revisions, List<BrokerConfig> brokerConfigs)
    {
        var workloads = topology.Workloads;
        var listeners = ImmutableArray.CreateBuilder<ListenerConfig>();
        listeners.AddRange(workloads.SelectMany(w => Enumerable.Range(0, w.Workload.Replicas).Select(replica => ListenerConfig.Inbound(w.Workload.Name, replica))));
        listeners.AddRange(revisions.Select(revision => ListenerConfig.Inbound(revision.Name, 0)));
        listeners.AddRange(topology.Calls.Select(call => call.Listener));
        // Each workload's HTTP proxy, through which its calls to hosts outside the mesh leave (HTTP_PROXY).
        listeners.AddRange(workloads.Select(w => w.Workload.Name).Concat(revisions.Select(revision => revision.Name)).Select(ListenerConfig.Egress));
        listeners.AddRange(topology.Services.Select(service => ListenerConfig.ForService(service.Name)));
        listeners.AddRange(topology.Functions.Select(function => ListenerConfig.ForService(function.Name)));
        foreach (var broker in brokerConfigs)
        {
            listeners.Add(ListenerConfig.ForBroker(broker.Name));
            listeners.AddRange(broker.Triggers
                .SelectMany(trigger => new[] { trigger.Subscriber, (trigger.Delivery ?? broker.Delivery)?.DeadLetterSink })
                .Append(broker.Delivery?.DeadLetterSink)
                .OfType<string>()
                .Distinct()
                .Select(target => EventBroker.OutboundListener(broker.Name, target)));
        }
        listeners.AddRange(topology.Exposed.Select(entry => entry.Listener));
        listeners.AddRange(topology.Gateways.Select(gateway => ListenerConfig.Ingress(
            gateway.Name, gateway.Annotations.OfType<EndpointAnnotation>().Single().Port ?? 0, gateway.Annotations.OfType<IngressRouteAnnotation>().LastOrDefault()?.Service.Name)));

        return listeners.ToImmutable();
    }

    /// <summary>
    /// The traffic rules checked by the data plane's own validator, the one runtime changes go
    /// through too; a rule from a file is named by its file, line and object, as the file's own
    /// mistakes are. What differs from Istio or Knative is returned, to say at start-up.
    /// </summary>
    private static IReadOnlyList<MeshNotice> Validate(MeshConfig config, ConfigurationFileRules fromFiles, List<ConfigError> errors, List<string> warnings)
    {
        var validation = MeshConfigValidator.Validate(config);
        errors.AddRange(validation.Errors.Select(error => fromFiles.Rules.GetValueOrDefault(error.Resource)?.Source(error.Field) is var (location, document, field)
            ? new ConfigError($"{location} {document.Object(config.Namespace)}", field, error.Problem, error.Fix)
            : new ConfigError(error.Resource, error.Field, error.Problem, error.Fix)));
        warnings.AddRange(validation.Warnings.Select(warning => fromFiles.Rules.GetValueOrDefault(warning.Resource)?.Source(warning.Field) is var (location, document, field)
            ? new ConfigFinding(FindingSeverity.Warning, location, document.Object(config.Namespace), field, warning.Problem, warning.Fix, warning.Code).ToString()
            : warning.Code is null ? warning.ToString() : $"{warning.Code} {warning}"));
        return validation.Notices;
    }

    /// <summary>For each service, gateway VirtualService, function and broker whose rules come from files: the objects and where they are.</summary>
    private static Dictionary<string, string> RuleSources(ConfigurationFileRules fromFiles, IReadOnlyList<BrokerResource> brokers, string meshNamespace)
    {
        string Sources(IEnumerable<ConfigDocument?> documents) =>
            string.Join(", ", documents.OfType<ConfigDocument>().Select(document => $"{document.Object(meshNamespace)} ({document.Location})"));
        var sources = fromFiles.Rules.ToDictionary(pair => pair.Key, pair => Sources([pair.Value.RoutesFrom?.Document, .. pair.Value.PoliciesFrom.Select(policy => policy.Document)]), StringComparer.Ordinal);
        foreach (var (name, documents) in fromFiles.GatewayApiSources)
        {
            // The Gateway API's routes are in force (a VirtualService for the same host is warned about and its routes ignored).
            sources[name] = Sources([.. documents, .. fromFiles.Rules.GetValueOrDefault(name)?.PoliciesFrom.Select(policy => policy.Document) ?? []]);
        }

        foreach (var (name, function) in fromFiles.Functions)
        {
            sources[name] = Sources([function.From.Document]);
        }

        foreach (var broker in brokers)
        {
            var documents = fromFiles.Eventing.Triggers.Where(trigger => trigger.Broker == broker.Name).Select(trigger => trigger.From.Document)
                .Prepend(fromFiles.Eventing.Deliveries.GetValueOrDefault(broker.Name).From?.Document).ToList();
            if (documents.Any(document => document is not null))
            {
                sources[broker.Name] = Sources(documents);
            }
        }

        return sources;
    }

    /// <summary>
    /// A function as the mesh runs it, the way Knative over Istio does: a service whose subsets
    /// are its revisions, a route per tag (by <c>knative-serving-tag</c>), then the traffic split.
    /// </summary>
    private static (MeshServiceConfig Service, List<WorkloadConfig> Revisions) FunctionConfig(
        FunctionResource function, FunctionScaling? scalingFromFile, ImmutableArray<TrafficTargetSpec> targets, List<ConfigError> errors)
    {
        var scaling = scalingFromFile ?? function.Annotations.OfType<FunctionScalingAnnotation>().LastOrDefault()?.Scaling ?? new FunctionScaling();
        var names = function.Annotations.OfType<FunctionRevisionAnnotation>().Select(revision => revision.Name).ToList();
        var revisions = names.Select(name => new WorkloadConfig(
            name,
            function.Name,
            ImmutableDictionary<string, string>.Empty
                .Add(AppLabel, function.Name)
                .Add(VersionLabel, name)
                .Add(KnativeServiceLabel, function.Name)
                .Add(KnativeRevisionLabel, name),
            function.Name,
            Replicas: 1) { Scaling = scaling }).ToList();

        // No targets: all traffic to the latest revision, as Knative's default.
        var traffic = targets.IsEmpty ? [new TrafficTargetSpec(null, 100, null)] : targets;

        KnativeTraffic.Validate(traffic, names, "spec.traffic", (field, problem, fix) => errors.Add(new(function.Name, field, problem, fix)));

        Destination To(TrafficTargetSpec target) => new(function.Name, target.RevisionName ?? names[^1]);
        var routes = traffic.Where(target => target.Tag is not null).Select(target => new HttpRoute
        {
            Name = $"tag-{target.Tag}",
            Match = [new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { [MeshServerlessBuilderExtensions.TagHeader] = new(StringMatchKind.Exact, target.Tag!) } }],
            Route = [new HttpRouteDestination(To(target))],
        }).Append(new HttpRoute
        {
            Name = "traffic",
            Route = [.. traffic.Where(target => target.Percent > 0).Select(target => new HttpRouteDestination(To(target), target.Percent))],
        });

        var service = new MeshServiceConfig(function.Name)
        {
            Http = [.. routes],
            DestinationRule = new DestinationRule
            {
                Subsets = [.. names.Select(name => new Subset(name, new Dictionary<string, string> { [KnativeRevisionLabel] = name }))],
            },
        };
        return (service, revisions);
    }

    /// <summary>A broker with its triggers and delivery, from the app model and from the files.</summary>
    private static BrokerConfig BrokerConfig(BrokerResource broker, ImportedEventing fromFiles) => new(broker.Name)
    {
        Triggers = [.. broker.Annotations.OfType<BrokerTriggerAnnotation>().Select(annotation => annotation.Trigger),
            .. fromFiles.Triggers.Where(trigger => trigger.Broker == broker.Name).Select(trigger => trigger.Trigger)],
        Delivery = fromFiles.Deliveries.TryGetValue(broker.Name, out var fromFile)
            ? fromFile.Delivery
            : broker.Annotations.OfType<BrokerDeliveryAnnotation>().LastOrDefault()?.Delivery,
    };

    private static MeshServiceConfig ServiceConfig(MeshServiceResource service)
    {
        var subsets = service.Annotations.OfType<MeshSubsetAnnotation>().Select(annotation => annotation.Subset).ToList();
        var policy = service.Annotations.OfType<MeshTrafficPolicyAnnotation>().LastOrDefault()?.Policy;
        return new MeshServiceConfig(service.Name)
        {
            Port = service.Port,
            Http = [.. service.Annotations.OfType<MeshHttpRouteAnnotation>().Select(annotation => annotation.Route)],
            Tcp = [.. service.Annotations.OfType<MeshTcpRouteAnnotation>().Select(annotation => annotation.Route)],
            DestinationRule = subsets.Count == 0 && policy is null ? null : new DestinationRule { Name = service.Name, Subsets = subsets, TrafficPolicy = policy },
        };
    }

    /// <summary>Whether an endpoint speaks HTTP (over plaintext or TLS).</summary>
    internal static bool IsHttp(EndpointAnnotation endpoint) => endpoint.UriScheme is "http" or "https";

    /// <summary>
    /// What a workload's HTTP endpoint carries, read as Istio reads a Service port: gRPC for an
    /// endpoint named <c>grpc</c>… (the port-name prefix), HTTP/2 for one whose transport is
    /// <c>http2</c> (<c>AsHttp2Service()</c>) or named <c>http2</c>…, HTTP/1.1 otherwise.
    /// </summary>
    internal static ServiceProtocol ProtocolOf(IResource resource)
    {
        var all = resource.Annotations.OfType<EndpointAnnotation>().ToList();
        var endpoints = all.Where(IsHttp).ToList();
        if (endpoints.Count == 0 && all.Any(endpoint => endpoint.Protocol == System.Net.Sockets.ProtocolType.Tcp))
        {
            // Only a TCP endpoint (a cache, a database): opaque TCP, as Istio treats a port named tcp, redis, mongo...
            return ServiceProtocol.Tcp;
        }

        return endpoints.Any(endpoint => endpoint.Name.StartsWith("grpc", StringComparison.OrdinalIgnoreCase)) ? ServiceProtocol.Grpc
            // AsHttp2Service() leaves an annotation (internal to Aspire) that Aspire turns into the endpoints' transport only as the app starts.
            : resource.Annotations.Any(annotation => annotation.GetType().Name == "Http2ServiceAnnotation")
                || endpoints.Any(endpoint => endpoint.Transport == "http2" || endpoint.Name.StartsWith("http2", StringComparison.OrdinalIgnoreCase)) ? ServiceProtocol.Http2
            : ServiceProtocol.Http;
    }

    internal static void ValidateLabel(string resource, string key, string value, List<ConfigError> errors)
    {
        if (!KubernetesNames.IsValidLabelKey(key))
        {
            errors.Add(new(resource, $"labels[{key}]", "is not a valid Kubernetes label key.", $"use {KubernetesNames.LabelKeyRule}."));
        }

        if (!KubernetesNames.IsValidLabelValue(value))
        {
            errors.Add(new(resource, $"labels[{key}]", $"value '{value}' is not a valid Kubernetes label value.", $"use {KubernetesNames.LabelValueRule}."));
        }
    }
}
