using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.Kubernetes.Import;

/// <summary>A service's rules from the files, with the object each came from.</summary>
/// <param name="Routes">Its VirtualService's HTTP routes, or <c>null</c> when no file routes it.</param>
/// <param name="RoutesFrom">The VirtualService.</param>
/// <param name="Policy">Its DestinationRule (several merged as istiod merges them), or <c>null</c> when no file has one.</param>
/// <param name="PolicyFrom">The (first) DestinationRule.</param>
internal sealed record ImportedServiceRules(
    ImmutableArray<HttpRoute>? Routes,
    LoadedObject<VirtualServiceSpec>? RoutesFrom,
    DestinationRule? Policy,
    LoadedObject<DestinationRuleSpec>? PolicyFrom)
{
    /// <summary>The file's <c>tcp</c> routes for the service, in order.</summary>
    public ImmutableArray<TcpRoute> TcpRoutes { get; init; } = [];

    /// <summary>The later DestinationRules for the host, merged into the first (<see cref="PolicyFrom"/>).</summary>
    public ImmutableArray<LoadedObject<DestinationRuleSpec>> MergedFrom { get; init; } = [];

    /// <summary>Each subset of <see cref="Policy"/>: the DestinationRule it came from and its index there.</summary>
    public ImmutableArray<(LoadedObject<DestinationRuleSpec> From, int Index)> SubsetSources { get; init; } = [];

    /// <summary>The DestinationRule whose top-level traffic policy is in force.</summary>
    public LoadedObject<DestinationRuleSpec>? TrafficPolicyFrom { get; init; }

    /// <summary>Every DestinationRule the host's policy came from, in the order read.</summary>
    public IEnumerable<LoadedObject<DestinationRuleSpec>> PoliciesFrom => PolicyFrom is null ? [] : MergedFrom.Prepend(PolicyFrom);

    /// <summary>
    /// Where a field the emulator's validator names (<c>http[0].route[0].weight</c>,
    /// <c>subsets[1].trafficPolicy</c>) came from, when it came from a file: the place, the object,
    /// and the field as that object names it.
    /// </summary>
    public (SourceLocation Location, ConfigDocument Document, string Field)? Source(string field)
    {
        if ((field.StartsWith("http", StringComparison.Ordinal) || field.StartsWith("tcp", StringComparison.Ordinal)) && RoutesFrom is { } routes)
        {
            return (routes.At($"spec.{field}"), routes.Document, $"spec.{field}");
        }

        if (field.StartsWith("subsets[", StringComparison.Ordinal) && field.IndexOf(']') is var end and > 8
            && int.TryParse(field.AsSpan(8, end - 8), out var merged) && merged < SubsetSources.Length)
        {
            // A merged rule's subset is named at its own DestinationRule's line.
            var (from, index) = SubsetSources[merged];
            var own = $"spec.subsets[{index}]{field[(end + 1)..]}";
            return (from.At(own), from.Document, own);
        }

        if ((field.StartsWith("subsets", StringComparison.Ordinal) || field.StartsWith("trafficPolicy", StringComparison.Ordinal)) && (TrafficPolicyFrom ?? PolicyFrom) is { } policy)
        {
            return (policy.At($"spec.{field}"), policy.Document, $"spec.{field}");
        }

        return null;
    }
}

/// <summary>
/// Istio's VirtualServices and DestinationRules, read from files, as the emulator's records: the
/// inverse of <see cref="IstioExporter"/>, with hosts resolved as Istio resolves them and every
/// value checked where it is (a duration, a percentage, a string match), each problem a finding at
/// its line. What Istio accepts but cannot work is a warning with Istio's analyzer code.
/// </summary>
internal static class IstioImporter
{
    private const string ClusterDomain = "svc.cluster.local";

    /// <summary>The name a VirtualService's <c>gateways</c> gives the sidecars (and the default when it names none).</summary>
    private const string MeshGateway = "mesh";

    /// <summary>The rules the files give each service of the mesh, by service name.</summary>
    /// <param name="files">The files, read.</param>
    /// <param name="meshNamespace">The namespace of the mesh's services.</param>
    /// <param name="workloads">Each service's workloads' labels, by service name (subsets select on them).</param>
    /// <param name="findings">Where problems go.</param>
    /// <param name="entryHosts">The ServiceEntries' hosts: their rules are kept under the host's own name.</param>
    /// <param name="versionRules">
    /// The Gateway API's version Services of the files (<c>reviews-v1</c>), each a host of its own: the
    /// DestinationRules for them go here, by host, with their traffic policies.
    /// </param>
    public static IReadOnlyDictionary<string, ImportedServiceRules> Import(
        ConfigurationFiles files,
        string meshNamespace,
        IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> workloads,
        List<ConfigFinding> findings,
        IReadOnlySet<string>? entryHosts = null,
        Dictionary<string, (TrafficPolicy? Policy, LoadedObject<DestinationRuleSpec>? From)>? versionRules = null)
    {
        var rules = new Dictionary<string, ImportedServiceRules>(StringComparer.Ordinal);
        entryHosts ??= new HashSet<string>();
        foreach (var loaded in files.VirtualServices)
        {
            var reader = ReaderFor(loaded, files, findings);
            var spec = loaded.Spec;
            var objectNamespace = loaded.Document.Namespace ?? files.DefaultNamespace;
            if (spec.Gateways is { Count: > 0 } gateways && !gateways.Contains(MeshGateway))
            {
                continue; // routes for gateways only: see ImportGateways
            }

            if (spec.Hosts.Count == 0)
            {
                findings.Add(reader.Error("spec.hosts", "is empty.", "name the service the routes are for, e.g. hosts: [reviews]."));
                continue;
            }

            if (spec.Http.Count == 0 && spec.Tcp is not { Count: > 0 } && spec.Tls is null)
            {
                findings.Add(reader.Error("spec", "has no routes; istiod rejects it (http, tcp or tls must be provided in virtual service).", "add http routes (or tcp routes for a TCP port)."));
                continue;
            }

            foreach (var (host, index) in spec.Hosts.Select((host, index) => (host, index)).Where(pair => spec.Hosts.Take(pair.index).Contains(pair.host, StringComparer.OrdinalIgnoreCase)))
            {
                findings.Add(reader.Error($"spec.hosts[{index}]", $"'{host}' is listed twice; istiod rejects it (duplicate hosts in virtual service).", "list each host once."));
            }

            var routes = spec.Http.Select((route, index) => reader.Route(route, $"spec.http[{index}]", objectNamespace, meshNamespace, workloads.Keys)).ToImmutableArray();
            var tcpRoutes = (spec.Tcp ?? []).Select((route, index) => reader.Route(route, $"spec.tcp[{index}]", objectNamespace, meshNamespace, workloads.Keys)).ToImmutableArray();
            for (var index = 0; index < spec.Hosts.Count; index++)
            {
                var host = spec.Hosts[index];
                if (spec.Hosts.Take(index).Contains(host, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (host == "*")
                {
                    // istiod's own check: "wildcard host * is not allowed for virtual services bound to the mesh gateway".
                    findings.Add(reader.Error($"spec.hosts[{index}]", "'*' is not allowed for a VirtualService bound to the mesh; istiod rejects it (wildcard host * is not allowed for virtual services bound to the mesh gateway).",
                        "name the services the routes are for, or bind the VirtualService to a Gateway (spec.gateways) to serve every host there."));
                    continue;
                }

                // A ServiceEntry's host is routed by the egress listeners, under the host's own name.
                if ((Resolve(host, objectNamespace, meshNamespace) is { } resolved && workloads.ContainsKey(resolved) ? resolved
                        : entryHosts.FirstOrDefault(entry => entry.Equals(host, StringComparison.OrdinalIgnoreCase))) is not { } service)
                {
                    findings.Add(reader.HostNotFound($"spec.hosts[{index}]", host, workloads.Keys));
                    continue;
                }

                var current = rules.GetValueOrDefault(service) ?? new ImportedServiceRules(null, null, null, null);
                if (current.RoutesFrom?.Document is { } earlier)
                {
                    // istiod accepts both and one of them is in force; its analyzer warns (IST0109). The one read first is kept, as the older one is in a cluster.
                    findings.Add(reader.Warning($"spec.hosts[{index}]",
                        $"The VirtualServices {earlier.Object(files.DefaultNamespace)} ({earlier.Location}) and {loaded.Document.Object(files.DefaultNamespace)} associated with mesh gateway define the same host {service}, which can lead to undefined behavior; locally the first one's routes are in force and this one's are ignored.",
                        "merge the conflicting VirtualServices into a single resource.", "IST0109"));
                    continue;
                }

                rules[service] = current with { Routes = routes, TcpRoutes = tcpRoutes, RoutesFrom = loaded };
            }
        }

        foreach (var loaded in files.DestinationRules)
        {
            var reader = ReaderFor(loaded, files, findings);
            var spec = loaded.Spec;
            var objectNamespace = loaded.Document.Namespace ?? files.DefaultNamespace;
            var external = entryHosts.FirstOrDefault(entry => entry.Equals(spec.Host, StringComparison.OrdinalIgnoreCase));
            if (versionRules is not null && Resolve(spec.Host, objectNamespace, meshNamespace) is { } version && versionRules.ContainsKey(version))
            {
                if (versionRules[version].From is { } earlier)
                {
                    findings.Add(reader.Warning("spec.host", $"'{version}' has a DestinationRule already ({earlier.Document.Object(files.DefaultNamespace)}); locally the first one is in force.", "keep one DestinationRule per host."));
                    continue;
                }

                if (spec.Subsets is { Count: > 0 })
                {
                    findings.Add(reader.Warning("spec.subsets", $"are subsets of '{version}', a version Service the routes name as a whole; they are kept for the cluster and not emulated.", "route to the version Service, or to a subset of the service itself."));
                }

                versionRules[version] = (reader.Policy(spec.TrafficPolicy, "spec.trafficPolicy"), loaded);
                continue;
            }

            if ((Resolve(spec.Host, objectNamespace, meshNamespace) is { } resolved && workloads.ContainsKey(resolved) ? resolved : external) is not { } service)
            {
                findings.Add(reader.HostNotFound("spec.host", spec.Host, workloads.Keys));
                continue;
            }

            // A ServiceEntry host's endpoints are not workloads: its subsets are not checked against them.
            var labels = workloads.GetValueOrDefault(service);

            var current = rules.GetValueOrDefault(service) ?? new ImportedServiceRules(null, null, null, null);
            var subsets = spec.Subsets?.Select((subset, index) =>
            {
                var field = $"spec.subsets[{index}]";
                if (labels is not null && !labels.Any(workload => subset.Labels.All(label => workload.GetValueOrDefault(label.Key) == label.Value)))
                {
                    // Istio's analyzer: IST0173, DestinationRuleSubsetNotSelectPods. Calls to it get 503 (UH).
                    findings.Add(reader.Warning($"{field}.labels", $"subset '{subset.Name}' selects no workload of '{service}' ({Labels(subset.Labels)}); calls routed to it get 503 (no healthy upstream).",
                        "add a workload with these labels, or correct the labels.", "IST0173"));
                }

                return new Subset(subset.Name, subset.Labels.ToImmutableDictionary()) { TrafficPolicy = reader.Policy(subset.TrafficPolicy, $"{field}.trafficPolicy") };
            }).ToList();
            var trafficPolicy = reader.Policy(spec.TrafficPolicy, "spec.trafficPolicy");
            if (current is { Policy: { } first, PolicyFrom: { } firstFrom })
            {
                // istiod merges the DestinationRules of one host (its docs suggest splitting a large
                // one so): the first's subsets, then the later ones' of other names; the first
                // top-level traffic policy stays, a later one applies only where none was.
                var known = (first.Subsets ?? []).Select(subset => subset.Name).ToHashSet(StringComparer.Ordinal);
                var added = (subsets ?? []).Select((subset, index) => (subset, index)).Where(pair => known.Add(pair.subset.Name)).ToList();
                foreach (var (subset, index) in (subsets ?? []).Select((subset, index) => (subset, index)).Except(added))
                {
                    findings.Add(reader.Warning($"spec.subsets[{index}].name", $"subset '{subset.Name}' is declared by {firstFrom.Document.Object(files.DefaultNamespace)} too; istiod keeps the first one's and ignores this one.",
                        "give the subset another name, or declare it once."));
                }

                if (trafficPolicy is not null && first.TrafficPolicy is not null)
                {
                    findings.Add(reader.Warning("spec.trafficPolicy", $"'{service}' has a traffic policy from {(current.TrafficPolicyFrom ?? firstFrom).Document.Object(files.DefaultNamespace)} already; istiod keeps it and ignores this one.",
                        "keep the host's traffic policy in one DestinationRule."));
                }

                rules[service] = current with
                {
                    Policy = first with
                    {
                        Subsets = [.. first.Subsets ?? [], .. added.Select(pair => pair.subset)],
                        TrafficPolicy = first.TrafficPolicy ?? trafficPolicy,
                    },
                    MergedFrom = current.MergedFrom.Add(loaded),
                    SubsetSources = [.. current.SubsetSources, .. added.Select(pair => (loaded, pair.index))],
                    TrafficPolicyFrom = first.TrafficPolicy is null && trafficPolicy is not null ? loaded : current.TrafficPolicyFrom,
                };
                continue;
            }

            var policy = new DestinationRule { TrafficPolicy = trafficPolicy, Subsets = subsets };
            rules[service] = current with
            {
                Policy = policy,
                PolicyFrom = loaded,
                SubsetSources = [.. (subsets ?? []).Select((_, index) => (loaded, index))],
                TrafficPolicyFrom = trafficPolicy is null ? null : loaded,
            };
        }

        return rules;
    }

    /// <summary>
    /// The files' Gateways and the VirtualServices bound to them (those whose <c>gateways</c> name
    /// a Gateway), with Istio's analyzer warnings: a Gateway that selects no ingress gateway, a
    /// VirtualService bound to a Gateway no file defines (IST0101), or for hosts its Gateway does
    /// not serve (IST0132).
    /// </summary>
    /// <param name="files">The files, read.</param>
    /// <param name="meshNamespace">The namespace of the mesh's services.</param>
    /// <param name="services">The mesh's services (routes send to them).</param>
    /// <param name="findings">Where problems go.</param>
    public static (List<(GatewayConfig Gateway, LoadedObject<GatewaySpecification> From)> Gateways, List<(VirtualService VirtualService, LoadedObject<VirtualServiceSpec> From)> VirtualServices)
        ImportGateways(ConfigurationFiles files, string meshNamespace, IReadOnlyCollection<string> services, List<ConfigFinding> findings)
    {
        var gateways = new List<(GatewayConfig, LoadedObject<GatewaySpecification>)>();
        foreach (var loaded in files.Gateways)
        {
            var reader = ReaderFor(loaded, files, findings);
            var spec = loaded.Spec;
            var gateway = new GatewayConfig(loaded.Document.Name)
            {
                Namespace = loaded.Document.Namespace,
                Selector = spec.Selector.ToImmutableDictionary(),
                Servers = [.. spec.Servers.Select(server => new GatewayServer(server.Port.Number, server.Port.Protocol, [.. server.Hosts]) { PortName = server.Port.Name })],
            };
            if (!gateway.SelectsIngressGateway)
            {
                findings.Add(reader.Warning("spec.selector", $"Referenced selector not found: \"{Labels(gateway.Selector)}\"; the local ingress gateway carries Istio's ingress gateway labels (istio=ingressgateway or istio=ingress), so this Gateway configures nothing locally.",
                    "select istio: ingressgateway (istioctl's install) or istio: ingress (the Helm chart's), as the cluster's gateway is labelled.", "IST0101"));
            }

            if (!IsDnsLabel(loaded.Document.Name))
            {
                findings.Add(reader.Error("metadata.name", $"'{loaded.Document.Name}' is not a DNS-1123 label; istiod rejects it (invalid gateway name).", "name the Gateway with lowercase letters, digits and '-', e.g. bookinfo-gateway."));
            }

            for (var index = 0; index < spec.Servers.Count; index++)
            {
                // istiod's checks of a server's port and TLS (validateServer, validateServerPort).
                var server = spec.Servers[index];
                var field = $"spec.servers[{index}]";
                var protocol = server.Port.Protocol.ToUpperInvariant();
                if (string.IsNullOrEmpty(server.Port.Name))
                {
                    findings.Add(reader.Error($"{field}.port.name", "is missing; istiod rejects it (port name must be set).", "name the port, e.g. name: http."));
                }
                else if (spec.Servers.Take(index).Any(other => other.Port.Name == server.Port.Name))
                {
                    findings.Add(reader.Error($"{field}.port.name", $"'{server.Port.Name}' names another server's port too; istiod rejects it (port names in servers must be unique).", "give each server's port a name of its own."));
                }

                if (protocol is not ("HTTP" or "HTTPS" or "HTTP2" or "GRPC" or "GRPC-WEB" or "MONGO" or "REDIS" or "MYSQL" or "TCP" or "TLS"))
                {
                    findings.Add(reader.Error($"{field}.port.protocol", $"'{server.Port.Protocol}' is not a protocol Istio knows; istiod rejects it (invalid protocol).", "use HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP or TLS."));
                    continue;
                }

                if (protocol is "HTTPS" or "TLS" && server.Tls is null)
                {
                    findings.Add(reader.Error($"{field}.tls", $"is missing on a {protocol} server; istiod rejects it (server must have TLS settings for HTTPS/TLS protocols).", "give the server tls settings, e.g. tls: {mode: SIMPLE, credentialName: bookinfo-credential}."));
                    continue;
                }

                if (server.Port.Protocol.ToUpperInvariant() is not ("HTTP" or "HTTP2" or "GRPC" or "HTTPS"))
                {
                    findings.Add(reader.Warning($"spec.servers[{index}].port.protocol", $"is {server.Port.Protocol}; the local ingress gateway serves HTTP only, so this server's routes are not served locally.",
                        "nothing to do for the cluster; test this server's traffic there."));
                }
                else if (server.Tls is not null || server.Port.Protocol.Equals("HTTPS", StringComparison.OrdinalIgnoreCase))
                {
                    findings.Add(reader.Warning($"spec.servers[{index}].port.protocol", $"is {server.Port.Protocol}; locally the ingress gateway serves its hosts over plain HTTP (it holds no certificates).",
                        "nothing to do; the routes apply as in the cluster, without TLS at the gateway."));
                }
            }

            gateways.Add((gateway, loaded));
        }

        var virtualServices = new List<(VirtualService, LoadedObject<VirtualServiceSpec>)>();
        foreach (var loaded in files.VirtualServices.Where(loaded => loaded.Spec.Gateways?.Any(name => name != MeshGateway) == true))
        {
            var reader = ReaderFor(loaded, files, findings);
            var spec = loaded.Spec;
            var objectNamespace = loaded.Document.Namespace ?? files.DefaultNamespace;
            var bound = new List<string>();
            for (var index = 0; index < spec.Gateways!.Count; index++)
            {
                var name = spec.Gateways[index];
                if (name == MeshGateway)
                {
                    continue;
                }

                // A gateway is "name" in the VirtualService's own namespace, or "namespace/name".
                var fullName = name.Contains('/') ? name : $"{objectNamespace}/{name}";
                bound.Add(fullName);
                var field = $"spec.gateways[{index}]";
                if (gateways.FirstOrDefault(gateway => gateway.Item1.FullName(files.DefaultNamespace) == fullName).Item1 is not { } gateway)
                {
                    findings.Add(reader.Warning(field, $"Referenced gateway not found: \"{name}\"; no file defines Gateway {fullName}, so these routes are served by no gateway locally.",
                        $"add Gateway {fullName} to the files, or name one they define ({string.Join(", ", gateways.Select(g => g.Item1.FullName(files.DefaultNamespace)))}).", "IST0101"));
                }
                else if (spec.Hosts.Where(host => !gateway.Servers.Any(server => server.Hosts.Any(serverHost => VirtualService.Intersect(serverHost, host) is not null))).ToList() is { Count: > 0 } missing)
                {
                    findings.Add(reader.Warning(field, $"one or more host [{string.Join(" ", missing)}] defined in VirtualService {objectNamespace}/{loaded.Document.Name} not found in Gateway {fullName}; requests for them get 404 at the gateway.",
                        $"add the hosts to a server of Gateway {fullName}, or route hosts it serves ({string.Join(", ", gateway.Servers.SelectMany(server => server.Hosts).Distinct())}).", "IST0132"));
                }
            }

            if (spec.Hosts.Count == 0)
            {
                findings.Add(reader.Error("spec.hosts", "is empty.", "name the hosts the gateway serves with these routes, e.g. hosts: [\"*\"]."));
                continue;
            }

            virtualServices.Add((new VirtualService(loaded.Document.Name)
            {
                Namespace = loaded.Document.Namespace,
                Hosts = [.. spec.Hosts],
                Gateways = [.. bound],
                Http = [.. spec.Http.Select((route, index) => reader.Route(route, $"spec.http[{index}]", objectNamespace, meshNamespace, services))],
            }, loaded));
        }

        return (gateways, virtualServices);
    }

    /// <summary>
    /// The PeerAuthentications and AuthorizationPolicies of the files that apply to the mesh: those
    /// in Istio's root namespace without a selector (mesh-wide), and those in the mesh's namespace.
    /// </summary>
    /// <param name="files">The files, read.</param>
    /// <param name="meshNamespace">The namespace of the mesh's workloads.</param>
    /// <param name="findings">Where problems go.</param>
    public static (List<(PeerAuthentication Policy, ConfigDocument From)> PeerAuthentications, List<(AuthorizationPolicy Policy, ConfigDocument From)> AuthorizationPolicies)
        ImportSecurity(ConfigurationFiles files, string meshNamespace, List<ConfigFinding> findings)
    {
        // istiod's checks hold for every policy, whether it applies to the app's workloads or not.
        foreach (var loaded in files.PeerAuthentications)
        {
            var reader = ReaderFor(loaded, files, findings);
            reader.Selector(loaded.Spec.Selector);
            if (loaded.Spec.PortLevelMtls is { } ports)
            {
                if (loaded.Spec.Selector is not { MatchLabels.Count: > 0 })
                {
                    findings.Add(reader.Error("spec.portLevelMtls", "is set on a mesh or namespace policy; istiod rejects it (mesh/namespace peer authentication cannot have port level mTLS).", "select the workloads (spec.selector) whose ports it is for."));
                }

                foreach (var port in ports.Keys.Where(port => port is < 1 or > 65535))
                {
                    findings.Add(reader.Error($"spec.portLevelMtls.{port}", $"names port {port}; istiod rejects it (port must be in range 1..65535).", "use a port from 1 to 65535."));
                }
            }
        }

        foreach (var loaded in files.AuthorizationPolicies)
        {
            ReaderFor(loaded, files, findings).Selector(loaded.Spec.Selector);
        }

        var peerAuthentications = new List<(PeerAuthentication, ConfigDocument)>();
        foreach (var (loaded, reader, @namespace) in Applicable(files.PeerAuthentications, spec => spec.Selector, files, meshNamespace, findings))
        {
            var spec = loaded.Spec;
            var mode = reader.Mode(spec.Mtls?.Mode, "spec.mtls.mode");
            peerAuthentications.Add((new PeerAuthentication(loaded.Document.Name, mode)
            {
                Namespace = @namespace,
                Selector = spec.Selector?.MatchLabels,
                PortLevelMtls = spec.PortLevelMtls?.ToDictionary(pair => pair.Key, pair => reader.Mode(pair.Value.Mode, $"spec.portLevelMtls.{pair.Key}.mode")),
            }, loaded.Document));
        }

        var authorizationPolicies = new List<(AuthorizationPolicy, ConfigDocument)>();
        foreach (var (loaded, reader, @namespace) in Applicable(files.AuthorizationPolicies, spec => spec.Selector, files, meshNamespace, findings))
        {
            var spec = loaded.Spec;
            AuthorizationAction? action = spec.Action switch
            {
                "" or "ALLOW" => AuthorizationAction.Allow,
                "DENY" => AuthorizationAction.Deny,
                "AUDIT" => AuthorizationAction.Audit,
                _ => null,
            };
            if (action is null)
            {
                findings.Add(spec.Action == "CUSTOM"
                    ? reader.Error("spec.action", "CUSTOM (an external authorizer) is not emulated; without it the mesh would allow what the authorizer may deny.",
                        "keep this policy for the cluster only, or express it as ALLOW or DENY rules.")
                    : reader.Error("spec.action", $"'{spec.Action}' is not an action.", "use ALLOW, DENY, AUDIT or CUSTOM."));
                continue;
            }

            authorizationPolicies.Add((new AuthorizationPolicy(loaded.Document.Name, action.Value)
            {
                Namespace = @namespace,
                Selector = spec.Selector?.MatchLabels,
                Rules = spec.Rules?.Select(rule => new AuthorizationRule
                {
                    From = rule.From?.Select(from => new AuthorizationSource
                    {
                        Principals = from.Source.Principals,
                        NotPrincipals = from.Source.NotPrincipals,
                        Namespaces = from.Source.Namespaces,
                        NotNamespaces = from.Source.NotNamespaces,
                        IpBlocks = from.Source.IpBlocks,
                        NotIpBlocks = from.Source.NotIpBlocks,
                    }).ToList(),
                    To = rule.To?.Select(to => new AuthorizationOperation
                    {
                        Hosts = to.Operation.Hosts,
                        NotHosts = to.Operation.NotHosts,
                        Ports = to.Operation.Ports,
                        NotPorts = to.Operation.NotPorts,
                        Methods = to.Operation.Methods,
                        NotMethods = to.Operation.NotMethods,
                        Paths = to.Operation.Paths,
                        NotPaths = to.Operation.NotPaths,
                    }).ToList(),
                    When = rule.When?.Select(condition => new AuthorizationCondition(condition.Key) { Values = condition.Values, NotValues = condition.NotValues }).ToList(),
                }).ToList(),
            }, loaded.Document));
        }

        return (peerAuthentications, authorizationPolicies);
    }

    /// <summary>The files' ServiceEntries as the emulator's records, each value checked where it is.</summary>
    public static IReadOnlyList<(ServiceEntry Entry, LoadedObject<ServiceEntrySpec> From)> ImportServiceEntries(ConfigurationFiles files, List<ConfigFinding> findings)
    {
        var entries = new List<(ServiceEntry, LoadedObject<ServiceEntrySpec>)>();
        foreach (var loaded in files.ServiceEntries)
        {
            var reader = ReaderFor(loaded, files, findings);
            var spec = loaded.Spec;
            ServiceEntryResolution? resolution = spec.Resolution switch
            {
                null or "NONE" => ServiceEntryResolution.None,
                "STATIC" => ServiceEntryResolution.Static,
                "DNS" => ServiceEntryResolution.Dns,
                "DNS_ROUND_ROBIN" => ServiceEntryResolution.DnsRoundRobin,
                _ => null,
            };
            ServiceEntryLocation? location = spec.Location switch
            {
                null or "MESH_EXTERNAL" => ServiceEntryLocation.MeshExternal,
                "MESH_INTERNAL" => ServiceEntryLocation.MeshInternal,
                _ => null,
            };
            if (resolution is null)
            {
                findings.Add(reader.Error("spec.resolution", $"'{spec.Resolution}' is not a resolution.", "use NONE, STATIC, DNS or DNS_ROUND_ROBIN."));
            }

            if (location is null)
            {
                findings.Add(reader.Error("spec.location", $"'{spec.Location}' is not a location.", "use MESH_EXTERNAL or MESH_INTERNAL."));
            }

            if (spec.WorkloadSelector is not null && spec.Endpoints is not null)
            {
                findings.Add(reader.Error("spec.workloadSelector", "is set with endpoints; istiod rejects it (only one of WorkloadSelector or Endpoints is allowed in Service Entry).", "keep the endpoints or the selector."));
            }

            entries.Add((new ServiceEntry(loaded.Document.Name)
            {
                Namespace = loaded.Document.Namespace,
                Hosts = [.. spec.Hosts],
                Ports = [.. spec.Ports.Select(port => new ServiceEntryPort(port.Number, port.Name, port.Protocol) { TargetPort = port.TargetPort })],
                Resolution = resolution ?? ServiceEntryResolution.None,
                Location = location ?? ServiceEntryLocation.MeshExternal,
                Endpoints = [.. (spec.Endpoints ?? []).Select(endpoint => new ServiceEntryEndpoint(endpoint.Address) { Ports = endpoint.Ports, Labels = endpoint.Labels })],
            }, loaded));
        }

        return entries;
    }

    /// <summary>
    /// The mesh service a host names, as Istio resolves it: a short name in the object's own
    /// namespace, <c>name.namespace</c>, or <c>name.namespace.svc.cluster.local</c>; <c>null</c>
    /// for any other host (outside the mesh's namespace, or not a cluster name).
    /// </summary>
    public static string? Resolve(string host, string objectNamespace, string meshNamespace)
    {
        var parts = host.Split('.');
        var (name, @namespace) = parts.Length switch
        {
            1 => (parts[0], objectNamespace),
            2 => (parts[0], parts[1]),
            5 when host.EndsWith("." + ClusterDomain, StringComparison.Ordinal) => (parts[0], parts[1]),
            _ => (null, null),
        };
        return name is not null && @namespace == meshNamespace ? name : null;
    }

    /// <summary>The security policies that apply to the mesh's workloads, each with its reader and the namespace it applies as.</summary>
    private static IEnumerable<(LoadedObject<TSpec> Loaded, Reader Reader, string? Namespace)> Applicable<TSpec>(
        IEnumerable<LoadedObject<TSpec>> policies, Func<TSpec, IstioSelector?> selector, ConfigurationFiles files, string meshNamespace, List<ConfigFinding> findings)
    {
        foreach (var loaded in policies)
        {
            var reader = ReaderFor(loaded, files, findings);
            var (applies, @namespace) = reader.Scope(loaded.Document.Namespace ?? files.DefaultNamespace, selector(loaded.Spec), meshNamespace);
            if (applies)
            {
                yield return (loaded, reader, @namespace);
            }
        }
    }

    private static Reader ReaderFor<TSpec>(LoadedObject<TSpec> loaded, ConfigurationFiles files, List<ConfigFinding> findings) =>
        new(loaded.At, loaded.Document.Object(files.DefaultNamespace), findings);

    private static bool IsDnsLabel(string name) => name.Length is > 0 and <= 63
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') && name[0] != '-' && name[^1] != '-';

    private static string Labels(IReadOnlyDictionary<string, string> labels) => string.Join(", ", labels.Select(label => $"{label.Key}={label.Value}"));

    /// <summary>Reads one object's values, each problem a finding at the field's line.</summary>
    private sealed class Reader(Func<string, SourceLocation> at, string objectName, List<ConfigFinding> findings)
    {
        public ConfigFinding Error(string field, string problem, string fix) =>
            new(FindingSeverity.Error, at(field), objectName, field, problem, fix);

        public ConfigFinding Warning(string field, string problem, string fix, string? code = null) =>
            new(FindingSeverity.Warning, at(field), objectName, field, problem, fix, code);

        /// <summary>istiod's validateWorkloadSelector: no empty key, no wildcard; no labels at all selects every workload (a warning).</summary>
        public void Selector(IstioSelector? selector)
        {
            foreach (var (key, value) in selector?.MatchLabels ?? [])
            {
                if (key.Length == 0 || key.Contains('*') || value.Contains('*'))
                {
                    findings.Add(Error($"spec.selector.matchLabels.{key}", $"'{key}={value}' {(key.Length == 0 ? "has an empty key" : "has a wildcard")}; istiod rejects it ({(key.Length == 0 ? "empty key" : "wildcard")} is not supported in selector).", "select by exact label values, e.g. app: reviews."));
                }
            }

            if (selector is { MatchLabels.Count: 0 })
            {
                findings.Add(Warning("spec.selector", "has no labels, so it selects every workload of its namespace (istiod: workload selector specified without labels).", "give the labels, or remove the selector."));
            }
        }

        /// <summary>Istio's analyzer: IST0101, ReferencedResourceNotFound.</summary>
        public ConfigFinding HostNotFound(string field, string host, IEnumerable<string> services) =>
            Warning(field, $"Referenced host not found: \"{host}\"; it is no service of the mesh, so nothing is routed for it locally.",
                $"use one of: {string.Join(", ", services.Order(StringComparer.Ordinal))} (or name.namespace, name.namespace.svc.cluster.local).", "IST0101");

        /// <summary>
        /// Whether a security policy in <paramref name="objectNamespace"/> applies to the mesh's
        /// workloads, and as what: mesh-wide (Istio's root namespace, no selector) or the mesh's namespace.
        /// </summary>
        public (bool Applies, string? Namespace) Scope(string objectNamespace, IstioSelector? selector, string meshNamespace)
        {
            if (objectNamespace == IstioExporter.RootNamespace && selector is null)
            {
                return (true, null);
            }

            if (objectNamespace == meshNamespace)
            {
                return (true, meshNamespace);
            }

            findings.Add(Warning("metadata.namespace", $"applies to namespace '{objectNamespace}', where the mesh has no workloads (they are in '{meshNamespace}').",
                $"to apply it locally, put it in '{meshNamespace}', or without a selector in {IstioExporter.RootNamespace} for the whole mesh."));
            return (false, null);
        }

        public MutualTlsMode Mode(string? mode, string field)
        {
            switch (mode)
            {
                case null or "" or "UNSET":
                    return MutualTlsMode.Unset;
                case "STRICT":
                    return MutualTlsMode.Strict;
                case "PERMISSIVE":
                    return MutualTlsMode.Permissive;
                case "DISABLE":
                    return MutualTlsMode.Disable;
                default:
                    findings.Add(Error(field, $"'{mode}' is not an mTLS mode.", "use STRICT, PERMISSIVE, DISABLE or UNSET."));
                    return MutualTlsMode.Unset;
            }
        }

        public TcpRoute Route(IstioTcpRoute route, string field, string objectNamespace, string meshNamespace, IEnumerable<string> services) => new()
        {
            Match = route.Match?.Select(match => new L4MatchAttributes { Port = match.Port, SourceLabels = match.SourceLabels?.ToImmutableDictionary() }).ToList(),
            Route = route.Route?.Select((destination, index) => new RouteDestination(
                Destination(destination.Destination, $"{field}.route[{index}].destination", objectNamespace, meshNamespace, services), destination.Weight)).ToList(),
        };

        public HttpRoute Route(IstioHttpRoute route, string field, string objectNamespace, string meshNamespace, IEnumerable<string> services) => new()
        {
            Name = route.Name,
            Match = route.Match?.Select((match, index) => Match(match, $"{field}.match[{index}]")).ToList(),
            Route = route.Route?.Select((destination, index) => new HttpRouteDestination(
                Destination(destination.Destination, $"{field}.route[{index}].destination", objectNamespace, meshNamespace, services), destination.Weight)
            {
                Headers = Headers(destination.Headers),
            }).ToList(),
            Redirect = route.Redirect is { } redirect
                ? new HttpRedirect { Uri = redirect.Uri, Authority = redirect.Authority, Port = redirect.Port, Scheme = redirect.Scheme, RedirectCode = redirect.RedirectCode ?? 301 }
                : null,
            Rewrite = route.Rewrite is { } rewrite ? new HttpRewrite { Uri = rewrite.Uri, Authority = rewrite.Authority } : null,
            Timeout = Duration(route.Timeout, $"{field}.timeout"),
            Retries = route.Retries is { } retries
                ? new HttpRetry
                {
                    Attempts = retries.Attempts,
                    PerTryTimeout = Duration(retries.PerTryTimeout, $"{field}.retries.perTryTimeout"),
                    RetryOn = retries.RetryOn,
                    RetryRemoteLocalities = retries.RetryRemoteLocalities,
                }
                : null,
            Fault = route.Fault is { } fault
                ? new HttpFaultInjection
                {
                    Delay = fault.Delay is { } delay
                        ? new FaultDelay(Duration(delay.FixedDelay, $"{field}.fault.delay.fixedDelay") ?? TimeSpan.Zero, delay.Percentage?.Value ?? delay.Percent)
                        : null,
                    Abort = fault.Abort is { } abort
                        ? new FaultAbort(abort.HttpStatus ?? 0, abort.Percentage?.Value) { GrpcStatus = abort.GrpcStatus }
                        : null,
                }
                : null,
            Mirror = route.Mirror is { } mirror ? Destination(mirror, $"{field}.mirror", objectNamespace, meshNamespace, services) : null,
            MirrorPercentage = route.MirrorPercentage?.Value,
            Headers = Headers(route.Headers),
        };

        public TrafficPolicy? Policy(IstioTrafficPolicy? policy, string field) => policy is null
            ? null
            : Policy(new IstioPortTrafficPolicy { LoadBalancer = policy.LoadBalancer, ConnectionPool = policy.ConnectionPool, OutlierDetection = policy.OutlierDetection, Tls = policy.Tls }, field) with
            {
                PortLevelSettings = policy.PortLevelSettings?.Select((settings, index) =>
                {
                    var own = Policy(settings, $"{field}.portLevelSettings[{index}]");
                    return new PortTrafficPolicy(settings.Port?.Number ?? 0)
                    {
                        LoadBalancer = own.LoadBalancer,
                        ConnectionPool = own.ConnectionPool,
                        OutlierDetection = own.OutlierDetection,
                        Tls = own.Tls,
                    };
                }).ToList(),
            };

        private ClientTlsSettings? Tls(IstioClientTls? tls, string field)
        {
            if (tls is null)
            {
                return null;
            }

            ClientTlsMode? mode = tls.Mode switch
            {
                null or "DISABLE" => ClientTlsMode.Disable,
                "SIMPLE" => ClientTlsMode.Simple,
                "MUTUAL" => ClientTlsMode.Mutual,
                "ISTIO_MUTUAL" => ClientTlsMode.IstioMutual,
                _ => null,
            };
            if (mode is null)
            {
                findings.Add(Error($"{field}.mode", $"'{tls.Mode}' is not a TLS mode.", "use DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL."));
                return null;
            }

            return new ClientTlsSettings(mode.Value) { Sni = tls.Sni, CaCertificates = tls.CaCertificates, InsecureSkipVerify = tls.InsecureSkipVerify == true };
        }

        private TrafficPolicy Policy(IstioPortTrafficPolicy policy, string field) => new()
            {
                Tls = Tls(policy.Tls, $"{field}.tls"),
                LoadBalancer = policy.LoadBalancer is { } balancer
                    ? new LoadBalancerSettings
                    {
                        Simple = balancer.Simple is { } simple ? Balancer(simple, $"{field}.loadBalancer.simple") : null,
                        ConsistentHash = balancer.ConsistentHash is { } hash
                            ? new ConsistentHash
                            {
                                HttpHeaderName = hash.HttpHeaderName,
                                HttpCookie = hash.HttpCookie is { } cookie
                                    ? new HttpCookie(cookie.Name, cookie.Path, Duration(cookie.Ttl, $"{field}.loadBalancer.consistentHash.httpCookie.ttl"))
                                    : null,
                                UseSourceIp = hash.UseSourceIp == true,
                                HttpQueryParameterName = hash.HttpQueryParameterName,
                                MinimumRingSize = hash.MinimumRingSize,
                            }
                            : null,
                    }
                    : null,
                ConnectionPool = policy.ConnectionPool is { } pool
                    ? new ConnectionPoolSettings
                    {
                        Tcp = pool.Tcp is { } tcp
                            ? new TcpSettings
                            {
                                MaxConnections = tcp.MaxConnections,
                                ConnectTimeout = Duration(tcp.ConnectTimeout, $"{field}.connectionPool.tcp.connectTimeout"),
                                IdleTimeout = Duration(tcp.IdleTimeout, $"{field}.connectionPool.tcp.idleTimeout"),
                            }
                            : null,
                        Http = pool.Http is { } http
                            ? new HttpSettings
                            {
                                Http1MaxPendingRequests = http.Http1MaxPendingRequests,
                                Http2MaxRequests = http.Http2MaxRequests,
                                MaxRequestsPerConnection = http.MaxRequestsPerConnection,
                                MaxRetries = http.MaxRetries,
                                IdleTimeout = Duration(http.IdleTimeout, $"{field}.connectionPool.http.idleTimeout"),
                            }
                            : null,
                    }
                    : null,
                OutlierDetection = policy.OutlierDetection is { } detection
                    ? new OutlierDetection
                    {
                        Consecutive5xxErrors = detection.Consecutive5xxErrors,
                        ConsecutiveGatewayErrors = detection.ConsecutiveGatewayErrors,
                        Interval = Duration(detection.Interval, $"{field}.outlierDetection.interval"),
                        BaseEjectionTime = Duration(detection.BaseEjectionTime, $"{field}.outlierDetection.baseEjectionTime"),
                        MaxEjectionPercent = detection.MaxEjectionPercent,
                        MinHealthPercent = detection.MinHealthPercent,
                    }
                    : null,
            };

        private HttpMatchRequest Match(IstioHttpMatch match, string field) => new()
        {
            Name = match.Name,
            Uri = StringMatch(match.Uri, $"{field}.uri"),
            Scheme = StringMatch(match.Scheme, $"{field}.scheme"),
            Method = StringMatch(match.Method, $"{field}.method"),
            Authority = StringMatch(match.Authority, $"{field}.authority"),
            Headers = StringMatches(match.Headers, $"{field}.headers"),
            QueryParams = StringMatches(match.QueryParams, $"{field}.queryParams"),
            WithoutHeaders = StringMatches(match.WithoutHeaders, $"{field}.withoutHeaders"),
            IgnoreUriCase = match.IgnoreUriCase == true,
            SourceLabels = match.SourceLabels,
            Port = match.Port,
        };

        private Dictionary<string, StringMatch>? StringMatches(Dictionary<string, IstioStringMatch>? matches, string field) =>
            matches?.ToDictionary(pair => pair.Key, pair => StringMatch(pair.Value, $"{field}.{pair.Key}") ?? Emulator.Configuration.StringMatch.Present);

        private StringMatch? StringMatch(IstioStringMatch? match, string field)
        {
            if (match is null)
            {
                return null;
            }

            var set = new[] { ("exact", match.Exact), ("prefix", match.Prefix), ("regex", match.Regex) }.Where(kind => kind.Item2 is not null).ToList();
            if (set.Count > 1)
            {
                findings.Add(Error(field, $"sets {string.Join(" and ", set.Select(kind => kind.Item1))}; a string match is one of them.", "keep one of exact, prefix and regex."));
            }

            return match switch
            {
                { Exact: { } exact } => Emulator.Configuration.StringMatch.Exact(exact),
                { Prefix: { } prefix } => Emulator.Configuration.StringMatch.Prefix(prefix),
                { Regex: { } regex } => Emulator.Configuration.StringMatch.Regex(regex),
                _ => Emulator.Configuration.StringMatch.Present,
            };
        }

        private Destination Destination(IstioDestination destination, string field, string objectNamespace, string meshNamespace, IEnumerable<string> services)
        {
            // A host that is no service of the app stays as written: the validator warns (IST0101), and its requests are answered 503 (NC).
            var service = Resolve(destination.Host, objectNamespace, meshNamespace);
            return new Destination(service is not null && services.Contains(service, StringComparer.Ordinal) ? service : destination.Host, destination.Subset, destination.Port?.Number);
        }

        private static Headers? Headers(IstioHeaders? headers) => headers is null
            ? null
            : new Headers { Request = Operations(headers.Request), Response = Operations(headers.Response) };

        private static HeaderOperations? Operations(IstioHeaderOperations? operations) => operations is null
            ? null
            : new HeaderOperations { Set = operations.Set, Add = operations.Add, Remove = operations.Remove };

        private TimeSpan? Duration(string? text, string field)
        {
            if (text is null)
            {
                return null;
            }

            if (MeshDuration.TryParse(text, out var duration))
            {
                return duration;
            }

            findings.Add(Error(field, $"'{text}' is not a duration.", "write a number with a unit: 500ms, 10s, 1m or 1h."));
            return null;
        }

        private SimpleLoadBalancer? Balancer(string name, string field)
        {
            foreach (var balancer in Enum.GetValues<SimpleLoadBalancer>())
            {
                if (balancer.ToIstioName() == name)
                {
                    return balancer;
                }
            }

            if (name == "LEAST_CONN")
            {
                return SimpleLoadBalancer.LeastRequest; // the deprecated name
            }

            findings.Add(Error(field, $"'{name}' is not a load balancer.", $"use one of: {string.Join(", ", Enum.GetValues<SimpleLoadBalancer>().Select(b => b.ToIstioName()))}."));
            return null;
        }
    }
}
