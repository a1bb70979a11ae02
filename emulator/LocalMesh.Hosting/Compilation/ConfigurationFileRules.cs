using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Kubernetes.Import;

namespace LocalMesh.Hosting;

/// <summary>
/// What a team's configuration files (<c>WithConfigurationFiles</c>, <c>--mesh-config</c>) give the
/// mesh, joined with the app model's rules: each service's routes and DestinationRule, the security
/// policies, and every finding in the words the compiler reports.
/// </summary>
/// <param name="Services">The services, with the rules the files give them.</param>
/// <param name="Rules">
/// The files' rules by what the validator calls them (a service's name, or
/// <c>virtualservice/&lt;name&gt;</c> for a gateway's routes), to name the file and line of its errors.
/// </param>
/// <param name="Gateways">The Gateways.</param>
/// <param name="GatewayVirtualServices">The VirtualServices bound to Gateways.</param>
/// <param name="Functions">The traffic and scaling the files' Knative Services give functions, by function name.</param>
/// <param name="Eventing">The brokers' deliveries and the triggers of the files.</param>
/// <param name="Carried">The objects the export writes as the files have them: those the mesh does not emulate, and the PrometheusRules.</param>
/// <param name="AlertRules">The PrometheusRules, evaluated locally.</param>
internal sealed record ConfigurationFileRules(
    List<MeshServiceConfig> Services,
    IReadOnlyDictionary<string, ImportedServiceRules> Rules,
    IReadOnlyList<GatewayConfig> Gateways,
    IReadOnlyList<VirtualService> GatewayVirtualServices,
    IReadOnlyDictionary<string, ImportedFunction> Functions,
    ImportedEventing Eventing,
    IReadOnlyList<ConfigDocument> Carried,
    IReadOnlyList<LoadedObject<Kubernetes.Export.PrometheusRuleSpec>> AlertRules)
{
    /// <summary>The ServiceEntries: hosts outside the mesh.</summary>
    public IReadOnlyList<ServiceEntry> ServiceEntries { get; init; } = [];

    /// <summary>The routes and DestinationRules of the ServiceEntries' hosts, one per host.</summary>
    public IReadOnlyList<MeshServiceConfig> ExternalServices { get; init; } = [];

    /// <summary>The names of the Gateways (and so of the VirtualServices bound to them) made of the files' Gateway API Gateways.</summary>
    public IReadOnlyList<string> GatewayApiGateways { get; init; } = [];

    /// <summary>The services whose routes come from the files' HTTPRoutes or TCPRoutes (the Gateway API), with the subsets their backends name.</summary>
    public IReadOnlyDictionary<string, ImmutableArray<Subset>> GatewayApiServices { get; init; } = new Dictionary<string, ImmutableArray<Subset>>();

    /// <summary>
    /// The Gateway API objects the rules of each service (or gateway VirtualService, as
    /// <c>virtualservice/&lt;name&gt;</c>) come from: its HTTPRoutes or TCPRoutes in force, and the
    /// DestinationRules of the version Services they send to.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ConfigDocument>> GatewayApiSources { get; init; } = new Dictionary<string, IReadOnlyList<ConfigDocument>>();

    /// <summary>The files' PeerAuthentications.</summary>
    public IReadOnlyList<PeerAuthentication> PeerAuthentications { get; init; } = [];

    /// <summary>The files' AuthorizationPolicies.</summary>
    public IReadOnlyList<AuthorizationPolicy> AuthorizationPolicies { get; init; } = [];

    /// <summary>The outbound traffic policy a Sidecar of the files sets for the mesh's namespace (or the whole mesh), and that Sidecar; null when none does.</summary>
    public (OutboundTrafficPolicyMode Mode, ConfigDocument From)? OutboundTrafficPolicy { get; init; }

    /// <summary>No files: the app model's services as they are.</summary>
    public static ConfigurationFileRules None(List<MeshServiceConfig> services) => new(
        services, new Dictionary<string, ImportedServiceRules>(), [], [], new Dictionary<string, ImportedFunction>(),
        new ImportedEventing(new Dictionary<string, (DeliverySpec?, LoadedObject<Kubernetes.Export.KnativeBrokerSpec>)>(), []), [], []);

    /// <summary>
    /// The services with the rules the files give them and the files' security policies (one named as
    /// one of <paramref name="peerAuthentications"/> or <paramref name="authorizationPolicies"/> is an error), every
    /// finding added to <paramref name="errors"/> or <paramref name="warnings"/>. A rule or policy
    /// both in C# and in a file is an error naming both places.
    /// </summary>
    public static ConfigurationFileRules Compile(
        IReadOnlyList<ConfigurationFilesAnnotation> annotations, string meshNamespace, List<MeshServiceConfig> services,
        IReadOnlyList<WorkloadConfig> workloads, IReadOnlyList<FunctionResource> functions, IReadOnlyList<BrokerResource> brokers, IReadOnlyList<PeerAuthentication> peerAuthentications, IReadOnlyList<AuthorizationPolicy> authorizationPolicies,
        IReadOnlyList<ServiceEntry> serviceEntries, List<ConfigError> errors, List<string> warnings)
    {
        var files = ConfigurationFiles.Load(annotations.Select(a => a.Path), annotations[0].BaseDirectory, meshNamespace);
        var findings = new List<ConfigFinding>(files.Findings);
        var labels = services.ToDictionary(
            service => service.Name,
            service => (IReadOnlyList<IReadOnlyDictionary<string, string>>)[.. workloads.Where(w => w.Service == service.Name).Select(w => w.Labels)],
            StringComparer.Ordinal);
        var entries = IstioImporter.ImportServiceEntries(files, findings);
        // The files' VirtualServices and DestinationRules apply to the hosts of the app model's ServiceEntries too.
        var entryHosts = entries.SelectMany(entry => entry.Entry.Hosts).Concat(serviceEntries.SelectMany(entry => entry.Hosts)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (entry, from) in entries.Where(pair => serviceEntries.Any(model => model.Name == pair.Entry.Name)))
        {
            findings.Add(new ConfigFinding(FindingSeverity.Error, from.Document.Location, from.Document.Object(meshNamespace), "metadata.name",
                $"is defined in the app model too (WithServiceEntry, '{entry.Name}').", "keep it in one place: remove it from the C# model or from the file."));
        }
        // The Gateway API's version Services (bookinfo's reviews-v1) are hosts too: a DestinationRule of theirs gives them their policy.
        var versions = GatewayApiImporter.VersionServices(files, meshNamespace, labels, findings);
        var versionRules = versions.Keys.ToDictionary(name => name, _ => ((TrafficPolicy?)null, (LoadedObject<Kubernetes.Export.DestinationRuleSpec>?)null), StringComparer.Ordinal);
        var rules = IstioImporter.Import(files, meshNamespace, labels, findings, entryHosts, versionRules).ToDictionary(StringComparer.Ordinal);
        foreach (var (name, (policy, _)) in versionRules)
        {
            versions[name] = versions[name] with { Subset = versions[name].Subset with { TrafficPolicy = policy } };
        }

        // A ServiceEntry host's rules: emulated by the egress listeners, and written to the export as the files have them.
        var external = rules.Where(pair => entryHosts.Contains(pair.Key) && !labels.ContainsKey(pair.Key)).ToList();
        var externalServices = external.Select(pair => new MeshServiceConfig(pair.Key)
        {
            VirtualService = pair.Value.Routes is { } routes ? new VirtualService(pair.Value.RoutesFrom!.Document.Name) { Hosts = [pair.Key], Http = routes, Tcp = pair.Value.TcpRoutes } : null,
            DestinationRule = pair.Value.Policy is { } policy ? policy with { Name = pair.Value.PolicyFrom!.Document.Name } : null,
        }).ToList();
        var externalDocuments = entries.Select(entry => entry.From.Document)
            .Concat(external.SelectMany(pair => pair.Value.PoliciesFrom.Select(policy => policy.Document).Prepend(pair.Value.RoutesFrom?.Document)).OfType<ConfigDocument>())
            .Distinct()
            .ToList();
        var (gateways, gatewayVirtualServices) = IstioImporter.ImportGateways(files, meshNamespace, labels.Keys, findings);
        var gatewayApi = GatewayApiImporter.ImportIngress(files, meshNamespace, labels, versions, findings);
        foreach (var (virtualService, from) in gatewayVirtualServices)
        {
            rules[$"virtualservice/{virtualService.Name}"] = new ImportedServiceRules(virtualService.Http, from, null, null);
        }

        var (filePeerAuthentications, fileAuthorizationPolicies) = IstioImporter.ImportSecurity(files, meshNamespace, findings);
        var fileFunctions = KnativeImporter.ImportFunctions(files, functions.ToDictionary(
            function => function.Name,
            function => (IReadOnlyList<string>)[.. function.Annotations.OfType<FunctionRevisionAnnotation>().Select(revision => revision.Name)]), findings);
        var eventing = KnativeImporter.ImportEventing(files, [.. brokers.Select(broker => broker.Name)], findings);
        // A function's traffic or scaling, a broker's delivery or a trigger, both in C# and in a file, is defined twice.
        foreach (var (name, imported) in fileFunctions)
        {
            var function = functions.Single(f => f.Name == name);
            var inCode = new[]
            {
                function.Annotations.OfType<FunctionTrafficAnnotation>().Any() ? "traffic (WithTraffic)" : null,
                function.Annotations.OfType<FunctionScalingAnnotation>().Any() ? "scaling (WithScaling)" : null,
            }.OfType<string>().ToList();
            if (inCode.Count > 0)
            {
                var from = imported.From.Document;
                findings.Add(new ConfigFinding(FindingSeverity.Error, from.Location, from.Object(meshNamespace), "spec",
                    $"gives function '{name}' its traffic and scaling, which the app model gives it too: {string.Join(" and ", inCode)}.",
                    "keep them in one place: remove them from the C# model or remove this Knative Service from the files."));
            }
        }

        foreach (var (name, (_, from)) in eventing.Deliveries.Where(pair => brokers.Single(b => b.Name == pair.Key).Annotations.OfType<BrokerDeliveryAnnotation>().Any()))
        {
            findings.Add(new ConfigFinding(FindingSeverity.Error, from.Document.Location, from.Document.Object(meshNamespace), "spec.delivery",
                $"is broker '{name}''s delivery, which the app model gives it too (WithDelivery).", "keep it in one place: remove it from the C# model or from the file."));
        }

        foreach (var (broker, trigger, from) in eventing.Triggers.Where(t => brokers.SelectMany(b => b.Annotations.OfType<BrokerTriggerAnnotation>()).Any(a => a.Trigger.Name == t.Trigger.Name)))
        {
            findings.Add(new ConfigFinding(FindingSeverity.Error, from.Document.Location, from.Document.Object(meshNamespace), "metadata.name",
                $"is defined in the app model too (WithTrigger(\"{trigger.Name}\") on '{broker}').", "keep it in one place: remove it from the C# model or from the file."));
        }

        // The same policy (namespace and name) in C# and in a file is defined twice.
        foreach (var (policy, from) in filePeerAuthentications)
        {
            if (peerAuthentications.Any(existing => existing.Name == policy.Name && existing.Namespace == policy.Namespace))
            {
                findings.Add(new ConfigFinding(FindingSeverity.Error, from.Location, from.Object(meshNamespace), "metadata.name",
                    $"is defined in the app model too (WithPeerAuthentication, '{policy.Name}').", "keep it in one place: remove it from the C# model or from the file."));
            }
        }

        foreach (var (policy, from) in fileAuthorizationPolicies)
        {
            if (authorizationPolicies.Any(existing => existing.Name == policy.Name && (existing.Namespace ?? meshNamespace) == (policy.Namespace ?? meshNamespace)))
            {
                findings.Add(new ConfigFinding(FindingSeverity.Error, from.Location, from.Object(meshNamespace), "metadata.name",
                    $"is defined in the app model too (WithAuthorizationPolicy, '{policy.Name}').", "keep it in one place: remove it from the C# model or from the file."));
            }
        }

        var httpRoutes = GatewayApiImporter.Import(files, meshNamespace, labels, versions, findings).ToDictionary(StringComparer.Ordinal);
        var tcpRoutes = GatewayApiImporter.ImportTcp(files, meshNamespace, labels, versions, findings);
        foreach (var (name, routes) in httpRoutes.Where(pair => rules.GetValueOrDefault(pair.Key)?.RoutesFrom is not null || services.Single(s => s.Name == pair.Key).VirtualService is not null).ToList())
        {
            // As with two VirtualServices for one host, one set of routes is in force: the VirtualService's.
            var from = routes.From[0];
            findings.Add(new ConfigFinding(FindingSeverity.Warning, from.Document.Location, from.Document.Object(meshNamespace), "spec.parentRefs",
                $"routes '{name}', which a VirtualService routes too; locally the VirtualService is in force and this HTTPRoute is ignored (keep one kind of route per service, as Istio advises).",
                "route the service with the HTTPRoute or the VirtualService, not both.", "IST0109"));
            httpRoutes.Remove(name);
        }

        List<MeshServiceConfig> merged = [.. services.Select(service =>
        {
            if (!rules.TryGetValue(service.Name, out var imported))
            {
                return service;
            }

            if (imported.RoutesFrom?.Document is { } routes && !(service.Http.IsDefaultOrEmpty && service.Tcp.IsDefaultOrEmpty))
            {
                findings.Add(new ConfigFinding(FindingSeverity.Error, routes.Location, routes.Object(meshNamespace), "spec.hosts",
                    $"routes '{service.Name}', which the app model routes too (WithHttpRoute, WithWeightedRoute or WithTcpRoute on '{service.Name}').",
                    "keep the routes in one place: remove them from the C# model or from the file."));
            }

            if (imported.PolicyFrom?.Document is { } policy && service.DestinationRule is not null)
            {
                findings.Add(new ConfigFinding(FindingSeverity.Error, policy.Location, policy.Object(meshNamespace), "spec.host",
                    $"is the DestinationRule of '{service.Name}', which the app model gives one too (WithSubset or WithTrafficPolicy on '{service.Name}').",
                    "keep the subsets and policies in one place: remove them from the C# model or from the file."));
            }

            return service with
            {
                // Named as the file names them (a VirtualService for one host), so the export writes the team's objects.
                VirtualService = imported.Routes is { } fileRoutes && imported.RoutesFrom is { } routesFrom
                    ? new VirtualService(routesFrom.Spec.Hosts.Count == 1 ? routesFrom.Document.Name : service.Name) { Hosts = [service.Name], Http = fileRoutes, Tcp = imported.TcpRoutes }
                    : service.VirtualService,
                DestinationRule = imported.Policy is { } filePolicy ? filePolicy with { Name = imported.PolicyFrom!.Document.Name } : service.DestinationRule,
            };
        })];

        var outbound = ReadOutboundTrafficPolicy(files, meshNamespace, findings);

        // A service an HTTPRoute routes: its routes, and a subset for each version Service its backends name.
        merged = [.. merged.Select(service => httpRoutes.TryGetValue(service.Name, out var fromGatewayApi)
            ? service with
            {
                VirtualService = new VirtualService(fromGatewayApi.From[0].Document.Name) { Hosts = [service.Name], Http = fromGatewayApi.Routes },
                DestinationRule = fromGatewayApi.Subsets.IsEmpty ? service.DestinationRule : (service.DestinationRule ?? new DestinationRule()) with
                {
                    Subsets = [.. service.DestinationRule?.Subsets ?? [], .. fromGatewayApi.Subsets.Where(subset => service.DestinationRule?.Subsets?.Any(existing => existing.Name == subset.Name) != true)],
                },
            }
            : service)];

        // A service a TCPRoute routes: its tcp routes, unless a VirtualService routes it (which stays in force, as for HTTP).
        merged = [.. merged.Select(service =>
        {
            if (!tcpRoutes.TryGetValue(service.Name, out var fromTcpRoutes))
            {
                return service;
            }

            if (!service.Tcp.IsDefaultOrEmpty)
            {
                var from = fromTcpRoutes.From[0].Document;
                findings.Add(new ConfigFinding(FindingSeverity.Warning, from.Location, from.Object(meshNamespace), "spec.parentRefs",
                    $"routes '{service.Name}', which a VirtualService routes too; locally the VirtualService is in force and this TCPRoute is ignored.", "route the service with one of them.", "IST0109"));
                return service;
            }

            return service with
            {
                Tcp = fromTcpRoutes.Routes,
                DestinationRule = fromTcpRoutes.Subsets.IsEmpty ? service.DestinationRule : (service.DestinationRule ?? new DestinationRule()) with
                {
                    Subsets = [.. service.DestinationRule?.Subsets ?? [], .. fromTcpRoutes.Subsets.Where(subset => service.DestinationRule?.Subsets?.Any(existing => existing.Name == subset.Name) != true)],
                },
            };
        })];

        // In the order of the files, then of the lines, as a person reads them.
        foreach (var finding in findings.OrderBy(f => f.Location.File, StringComparer.Ordinal).ThenBy(f => f.Location.Line).ThenBy(f => f.Location.Column))
        {
            if (finding.Severity == FindingSeverity.Error)
            {
                errors.Add(new ConfigError(
                    finding.Object.Length == 0 ? finding.Location.ToString() : $"{finding.Location} {finding.Object}",
                    finding.Field.Length == 0 ? "file" : finding.Field,
                    finding.Problem,
                    finding.Fix));
            }
            else
            {
                warnings.Add(finding.ToString());
            }
        }

        // Said once: an object a finding already names (a Knative Service the app does not run), or a
        // Sidecar that only sets the outbound traffic policy (which is applied), is not listed again.
        var unnamed = files.Carried.Where(document => !findings.Any(finding => finding.Location.File == document.Location.File && finding.Object == document.Object(meshNamespace))
            && !(outbound?.From == document && Spec(document) is { Children.Count: 1 })
            && !(document.Kind == "Service" && httpRoutes.Values.Select(routes => routes.Subsets).Concat(tcpRoutes.Values.Select(routes => routes.Subsets))
                .Any(subsets => subsets.Any(subset => subset.Name == document.Name)))).ToList();
        if (unnamed.Count > 0)
        {
            warnings.Add($"Kept for the export, not emulated: {string.Join(", ", unnamed.Select(document => $"{document.Object(meshNamespace)} ({document.Location})"))}.");
        }

        // The Gateway API's objects are written to the export as the files have them.
        var gatewayApiDocuments = files.HttpRoutes.Select(route => route.Document).Concat(files.TcpRoutes.Select(route => route.Document)).Concat(files.GatewayApiGateways.Select(gateway => gateway.Document))
            .Concat(versionRules.Values.Select(rule => rule.Item2?.Document).OfType<ConfigDocument>());
        return new ConfigurationFileRules(merged, rules, [.. gateways.Select(g => g.Gateway), .. gatewayApi.Gateways.Select(g => g.Gateway)], [.. gatewayVirtualServices.Select(v => v.VirtualService), .. gatewayApi.VirtualServices], fileFunctions, eventing,
            [.. files.Carried, .. files.PrometheusRules.Select(rule => rule.Document), .. externalDocuments, .. gatewayApiDocuments], files.PrometheusRules)
        {
            ServiceEntries = [.. entries.Select(entry => entry.Entry)],
            ExternalServices = externalServices,
            OutboundTrafficPolicy = outbound,
            PeerAuthentications = [.. filePeerAuthentications.Select(p => p.Policy)],
            AuthorizationPolicies = [.. fileAuthorizationPolicies.Select(p => p.Policy)],
            GatewayApiServices = httpRoutes.Select(pair => (pair.Key, pair.Value.Subsets))
                .Concat(tcpRoutes.Where(pair => merged.Single(service => service.Name == pair.Key).Tcp == pair.Value.Routes).Select(pair => (pair.Key, pair.Value.Subsets)))
                .GroupBy(pair => pair.Key)
                .ToDictionary(group => group.Key, group => group.SelectMany(pair => pair.Subsets).DistinctBy(subset => subset.Name).ToImmutableArray()),
            GatewayApiGateways = [.. gatewayApi.Gateways.Select(gateway => gateway.Gateway.Name)],
            GatewayApiSources = httpRoutes.Select(pair => (Key: pair.Key, Documents: pair.Value.From.Select(route => route.Document)
                    .Concat(pair.Value.Subsets.Select(subset => versionRules.GetValueOrDefault(subset.Name).Item2?.Document).OfType<ConfigDocument>())))
                .Concat(tcpRoutes.Where(pair => merged.Single(service => service.Name == pair.Key).Tcp == pair.Value.Routes).Select(pair => (Key: pair.Key, Documents: pair.Value.From.Select(route => route.Document))))
                .Concat(gatewayApi.Sources.Select(pair => (Key: $"virtualservice/{pair.Key}", Documents: pair.Value.AsEnumerable())))
                .GroupBy(pair => pair.Key)
                .ToDictionary(group => group.Key, group => (IReadOnlyList<ConfigDocument>)[.. group.SelectMany(pair => pair.Documents).Distinct()], StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// The outbound traffic policy a Sidecar without a workload selector sets for the mesh's
    /// namespace, or in Istio's root namespace for the whole mesh (the namespace's wins); a Sidecar
    /// for some workloads only is kept for the cluster with a warning.
    /// </summary>
    private static (OutboundTrafficPolicyMode Mode, ConfigDocument From)? ReadOutboundTrafficPolicy(ConfigurationFiles files, string meshNamespace, List<ConfigFinding> findings)
    {
        var found = new List<(OutboundTrafficPolicyMode Mode, ConfigDocument From, bool Root)>();
        foreach (var document in files.Carried.Where(document => document.Kind == "Sidecar" && document.ApiVersion.StartsWith("networking.istio.io/", StringComparison.Ordinal)))
        {
            if (Spec(document) is not { } spec || Child(spec, "outboundTrafficPolicy") is not YamlDotNet.RepresentationModel.YamlMappingNode policy)
            {
                continue;
            }

            var @namespace = document.Namespace ?? files.DefaultNamespace;
            var objectName = document.Object(meshNamespace);
            var mode = (Child(policy, "mode") as YamlDotNet.RepresentationModel.YamlScalarNode)?.Value;
            OutboundTrafficPolicyMode? parsed = mode switch
            {
                null or "ALLOW_ANY" => OutboundTrafficPolicyMode.AllowAny,
                "REGISTRY_ONLY" => OutboundTrafficPolicyMode.RegistryOnly,
                _ => null,
            };
            if (parsed is null)
            {
                findings.Add(new ConfigFinding(FindingSeverity.Error, document.Location, objectName, "spec.outboundTrafficPolicy.mode", $"'{mode}' is not a mode.", "use ALLOW_ANY or REGISTRY_ONLY."));
            }
            else if (Child(spec, "workloadSelector") is not null)
            {
                findings.Add(new ConfigFinding(FindingSeverity.Warning, document.Location, objectName, "spec.outboundTrafficPolicy",
                    "applies to the workloads its selector picks, which the mesh does not emulate per workload; the mesh's policy stays.", "nothing to do; the export writes it unchanged."));
            }
            else if (@namespace == meshNamespace || @namespace == Kubernetes.Export.IstioExporter.RootNamespace)
            {
                found.Add((parsed.Value, document, @namespace != meshNamespace));
            }
        }

        return found.OrderBy(entry => entry.Root).Select(entry => ((OutboundTrafficPolicyMode, ConfigDocument)?)(entry.Mode, entry.From)).FirstOrDefault();
    }

    private static YamlDotNet.RepresentationModel.YamlMappingNode? Spec(ConfigDocument document) =>
        Child(document.Node, "spec") as YamlDotNet.RepresentationModel.YamlMappingNode;

    private static YamlDotNet.RepresentationModel.YamlNode? Child(YamlDotNet.RepresentationModel.YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlDotNet.RepresentationModel.YamlScalarNode(key), out var child) ? child : null;
}
