using System.Collections.Immutable;
using System.Globalization;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Kubernetes.Export;

/// <summary>
/// Istio's objects from the same <see cref="MeshConfig"/> the emulator ran: a VirtualService per
/// routed service (weights written to sum to 100), a DestinationRule per service that has subsets
/// or a policy (the load balancer written out when the mesh's default is not Istio's), PeerAuthentication and
/// AuthorizationPolicy as declared, and an ingress Gateway with its VirtualService.
/// </summary>
internal static class IstioExporter
{
    /// <summary>Istio's root namespace, where mesh-wide policies live.</summary>
    public const string RootNamespace = "istio-system";

    /// <summary>A VirtualService for <paramref name="service"/>, or none when it has no routes (Istio's default routing).</summary>
    public static IstioVirtualService? VirtualService(KubernetesAppModel model, MeshServiceConfig service) =>
        (service.Http.IsDefaultOrEmpty && service.Tcp.IsDefaultOrEmpty) || model.GatewayApiRoutes.Contains(service.Name)
            ? null
            : new IstioVirtualService
            {
                // Named as its file names it, so the cluster gets the team's object, not a second one.
                Metadata = CoreExporter.Meta(model, service.VirtualService?.Name ?? service.Name),
                Spec = new VirtualServiceSpec
                {
                    Hosts = [service.Name],
                    Http = [.. service.Http.Select(Route)],
                    Tcp = service.Tcp.IsDefaultOrEmpty ? null : [.. service.Tcp.Select(Route)],
                },
            };

    /// <summary>
    /// The DestinationRule of <paramref name="service"/>: its subsets and policy, or none when it
    /// has neither. A mesh whose default load balancer is not Istio's writes it into every rule, so
    /// the cluster balances as the emulator did.
    /// </summary>
    public static IstioDestinationRule? DestinationRule(KubernetesAppModel model, MeshServiceConfig service)
    {
        if (model.SplitDestinationRules.Contains(service.Name))
        {
            return null; // the team's own objects are carried, and istiod merges them as the mesh did
        }

        // Subsets made of an HTTPRoute's version Services are the cluster's Services, carried as written.
        var rule = service.DestinationRule is { Subsets: { } all } written && model.GatewayApiSubsets.Count > 0
            ? written with { Subsets = [.. all.Where(subset => !model.GatewayApiSubsets.Contains($"{service.Name}/{subset.Name}"))] }
            : service.DestinationRule;
        var fallback = model.Mesh.DefaultLoadBalancer;
        var policy = Policy(model, rule?.TrafficPolicy);
        if (policy is null && rule?.Subsets is not { Count: > 0 })
        {
            return null;
        }

        return new IstioDestinationRule
        {
            Metadata = CoreExporter.Meta(model, rule?.Name ?? service.Name),
            Spec = new DestinationRuleSpec
            {
                Host = service.Name,
                TrafficPolicy = policy,
                Subsets = rule?.Subsets is { Count: > 0 } subsets
                    ? [.. subsets.Select(subset => new IstioSubset
                    {
                        Name = subset.Name,
                        Labels = subset.Labels.ToDictionary(),
                        TrafficPolicy = TrafficPolicy(subset.TrafficPolicy, fallback),
                    })]
                    : null,
            },
        };
    }

    /// <summary>
    /// <paramref name="policy"/> as Istio writes it, with the mesh's default load balancer where it
    /// names none and that default is not Istio's; none when there is nothing to write.
    /// </summary>
    public static IstioTrafficPolicy? Policy(KubernetesAppModel model, TrafficPolicy? policy)
    {
        var fallback = model.Mesh.DefaultLoadBalancer;
        var written = TrafficPolicy(policy, fallback);
        if (fallback != MeshConfig.IstioDefaultLoadBalancer)
        {
            written ??= new IstioTrafficPolicy();
            written.LoadBalancer ??= new IstioLoadBalancer { Simple = fallback.ToIstioName() };
        }

        return written;
    }

    /// <summary>A PeerAuthentication, mesh-wide ones in Istio's root namespace.</summary>
    public static IstioPeerAuthentication PeerAuthentication(KubernetesAppModel model, PeerAuthentication policy) => new()
    {
        Metadata = CoreExporter.Meta(model, policy.Name, @namespace: policy.Namespace ?? (policy.Selector is null ? RootNamespace : null)),
        Spec = new PeerAuthenticationSpec
        {
            Selector = policy.Selector is { } selector ? new IstioSelector { MatchLabels = selector.ToDictionary() } : null,
            Mtls = policy.Mode == MutualTlsMode.Unset ? null : new IstioMtls { Mode = Mode(policy.Mode) },
            PortLevelMtls = policy.PortLevelMtls?.ToDictionary(pair => pair.Key, pair => new IstioMtls { Mode = Mode(pair.Value) }),
        },
    };

    /// <summary>
    /// The namespace's default Sidecar with the mesh's outbound traffic policy, when the app model
    /// sets <c>REGISTRY_ONLY</c> (Istio's default, <c>ALLOW_ANY</c>, needs none); <c>null</c> otherwise.
    /// </summary>
    public static IstioSidecar? OutboundTrafficPolicy(KubernetesAppModel model) => model.RegistryOnly
        ? new IstioSidecar
        {
            Metadata = CoreExporter.Meta(model, "default"),
            Spec = new SidecarSpec { OutboundTrafficPolicy = new IstioOutboundTrafficPolicy { Mode = "REGISTRY_ONLY" } },
        }
        : null;

    /// <summary>A ServiceEntry of the app model, field for field.</summary>
    public static IstioServiceEntry ServiceEntry(KubernetesAppModel model, ServiceEntry entry) => new()
    {
        Metadata = CoreExporter.Meta(model, entry.Name, @namespace: entry.Namespace),
        Spec = new ServiceEntrySpec
        {
            Hosts = [.. entry.Hosts],
            Ports = [.. entry.Ports.Select(port => new IstioServiceEntryPort { Number = port.Number, Name = port.Name, Protocol = port.Protocol, TargetPort = port.TargetPort })],
            Location = entry.Location == ServiceEntryLocation.MeshInternal ? "MESH_INTERNAL" : "MESH_EXTERNAL",
            Resolution = entry.Resolution switch
            {
                ServiceEntryResolution.Static => "STATIC",
                ServiceEntryResolution.Dns => "DNS",
                ServiceEntryResolution.DnsRoundRobin => "DNS_ROUND_ROBIN",
                _ => "NONE",
            },
            Endpoints = entry.Endpoints.IsDefaultOrEmpty ? null : [.. entry.Endpoints.Select(endpoint => new IstioWorkloadEntry
            {
                Address = endpoint.Address,
                Ports = endpoint.Ports?.ToDictionary(),
                Labels = endpoint.Labels?.ToDictionary(),
            })],
        },
    };

    /// <summary>An AuthorizationPolicy, rule for rule.</summary>
    public static IstioAuthorizationPolicy AuthorizationPolicy(KubernetesAppModel model, AuthorizationPolicy policy) => new()
    {
        Metadata = CoreExporter.Meta(model, policy.Name, @namespace: policy.Namespace),
        Spec = new AuthorizationPolicySpec
        {
            Selector = policy.Selector is { } selector ? new IstioSelector { MatchLabels = selector.ToDictionary() } : null,
            Action = policy.Action.ToString().ToUpperInvariant(),
            Rules = policy.Rules?.Select(rule => new IstioAuthorizationRule
            {
                From = rule.From?.Select(source => new IstioRuleFrom
                {
                    Source = new IstioSource
                    {
                        Principals = List(source.Principals),
                        NotPrincipals = List(source.NotPrincipals),
                        Namespaces = List(source.Namespaces),
                        NotNamespaces = List(source.NotNamespaces),
                        IpBlocks = List(source.IpBlocks),
                        NotIpBlocks = List(source.NotIpBlocks),
                    },
                }).ToList(),
                To = rule.To?.Select(operation => new IstioRuleTo
                {
                    Operation = new IstioOperation
                    {
                        Hosts = List(operation.Hosts),
                        NotHosts = List(operation.NotHosts),
                        Ports = List(operation.Ports),
                        NotPorts = List(operation.NotPorts),
                        Methods = List(operation.Methods),
                        NotMethods = List(operation.NotMethods),
                        Paths = List(operation.Paths),
                        NotPaths = List(operation.NotPaths),
                    },
                }).ToList(),
                When = rule.When?.Select(condition => new IstioCondition { Key = condition.Key, Values = List(condition.Values), NotValues = List(condition.NotValues) }).ToList(),
            }).ToList(),
        },
    };

    /// <summary>
    /// The Gateways and the VirtualServices bound to them: the files' own when a Gateway of theirs
    /// selects the ingress gateway (as locally, where they then decide what it serves), otherwise a
    /// Gateway on Istio's ingress gateway, port 80, for each gateway of the app model, with a
    /// VirtualService carrying the exposed service's routes, as the emulator's gateway applies them.
    /// </summary>
    public static IEnumerable<object> Ingress(KubernetesAppModel model)
    {
        var mesh = model.Mesh;
        var gateways = mesh.Gateways.ToList();
        var virtualServices = mesh.GatewayVirtualServices.ToList();
        if (!gateways.Any(gateway => gateway.SelectsIngressGateway))
        {
            foreach (var spec in model.Gateways.Where(spec => !model.GatewayApiIngress.Contains(spec.Name)))
            {
                var service = mesh.Services.Single(service => service.Name == spec.Service);
                gateways.Add(new GatewayConfig(spec.Name)
                {
                    Selector = GatewayConfig.IngressGatewayLabels[0].Where(label => label.Key == "istio").ToImmutableDictionary(),
                    Servers = [new GatewayServer(80, "HTTP", [spec.Host]) { PortName = "http" }],
                });
                virtualServices.Add(new VirtualService($"{spec.Name}-{service.Name}")
                {
                    Hosts = [spec.Host],
                    Gateways = [$"{mesh.Namespace}/{spec.Name}"],
                    Http = service.Http.IsDefaultOrEmpty
                        ? [new HttpRoute { Name = service.Name, Route = [new HttpRouteDestination(new Destination(service.Name, null, service.Port))] }]
                        : service.Http,
                });
            }
        }

        // What the files' Gateway API objects made is theirs to say: they are carried as written.
        var fromGatewayApi = gateways.Where(gateway => model.GatewayApiGateways.Contains(gateway.Name)).Select(gateway => gateway.FullName(mesh.Namespace)).ToHashSet();
        return gateways.Where(gateway => !fromGatewayApi.Contains(gateway.FullName(mesh.Namespace))).Select(gateway => (object)Gateway(model, gateway))
            .Concat(virtualServices.Where(virtualService => !virtualService.Gateways.Any(fromGatewayApi.Contains)).Select(virtualService => GatewayVirtualService(model, virtualService)));
    }

    private static IstioGateway Gateway(KubernetesAppModel model, GatewayConfig gateway) => new()
    {
        Metadata = CoreExporter.Meta(model, gateway.Name, @namespace: gateway.Namespace),
        Spec = new GatewaySpecification
        {
            Selector = gateway.Selector.ToDictionary(),
            Servers = [.. gateway.Servers.Select(server => new IstioServer
            {
                Port = new IstioServerPort { Number = server.Port, Name = server.PortName, Protocol = server.Protocol },
                Hosts = [.. server.Hosts],
            })],
        },
    };

    private static IstioVirtualService GatewayVirtualService(KubernetesAppModel model, VirtualService virtualService)
    {
        var @namespace = virtualService.Namespace ?? model.Mesh.Namespace;
        return new IstioVirtualService
        {
            Metadata = CoreExporter.Meta(model, virtualService.Name, @namespace: virtualService.Namespace),
            Spec = new VirtualServiceSpec
            {
                Hosts = [.. virtualService.Hosts],
                // A Gateway in the VirtualService's own namespace by its name, as files usually write it.
                Gateways = [.. virtualService.Gateways.Select(gateway => gateway.StartsWith(@namespace + "/", StringComparison.Ordinal) ? gateway[(@namespace.Length + 1)..] : gateway)],
                Http = [.. virtualService.Http.Select(Route)],
            },
        };
    }

    /// <summary>
    /// Weights as Istio 1.15+ reads them are relative; written here as percentages that sum to 100
    /// (largest remainder), so older Istio and every reader agree.
    /// </summary>
    public static IReadOnlyList<int?> Percentages(IReadOnlyList<int?> weights)
    {
        if (weights.Count == 1)
        {
            return [null];
        }

        var relative = weights.All(weight => weight is null) ? weights.Select(_ => 1).ToList() : weights.Select(weight => weight ?? 0).ToList();
        var total = relative.Sum();
        if (total == 0)
        {
            return weights;
        }

        var exact = relative.Select(weight => weight * 100.0 / total).ToList();
        var floors = exact.Select(share => (int)Math.Floor(share)).ToList();
        var left = 100 - floors.Sum();
        foreach (var index in exact.Select((share, index) => (Remainder: share - Math.Floor(share), index)).OrderByDescending(x => x.Remainder).ThenBy(x => x.index).Take(left).Select(x => x.index))
        {
            floors[index]++;
        }

        return floors.Cast<int?>().ToList();
    }

    private static IstioHttpRoute Route(HttpRoute route)
    {
        var destinations = route.Route ?? [];
        var percentages = Percentages([.. destinations.Select(destination => destination.Weight)]);
        return new IstioHttpRoute
        {
            Name = route.Name,
            Match = route.Match?.Select(Match).ToList(),
            Route = destinations.Count == 0 ? null : [.. destinations.Select((destination, index) => new IstioRouteDestination
            {
                Destination = Destination(destination.Destination),
                Weight = percentages[index],
                Headers = Headers(destination.Headers),
            })],
            Redirect = route.Redirect is { } redirect
                ? new IstioRedirect { Uri = redirect.Uri, Authority = redirect.Authority, Port = redirect.Port, Scheme = redirect.Scheme, RedirectCode = redirect.RedirectCode == 301 ? null : redirect.RedirectCode }
                : null,
            Rewrite = route.Rewrite is { } rewrite ? new IstioRewrite { Uri = rewrite.Uri, Authority = rewrite.Authority } : null,
            Timeout = route.Timeout is { } timeout ? MeshDuration.Format(timeout) : null,
            Retries = route.Retries is { } retries
                ? new IstioRetries
                {
                    Attempts = retries.Attempts,
                    PerTryTimeout = retries.PerTryTimeout is { } perTry ? MeshDuration.Format(perTry) : null,
                    RetryOn = retries.RetryOn,
                    RetryRemoteLocalities = retries.RetryRemoteLocalities,
                }
                : null,
            Fault = route.Fault is { } fault
                ? new IstioFault
                {
                    Delay = fault.Delay is { } delay ? new IstioDelay { FixedDelay = MeshDuration.Format(delay.FixedDelay), Percentage = Percent(delay.Percentage) } : null,
                    Abort = fault.Abort is { } abort
                        ? new IstioAbort { HttpStatus = abort.GrpcStatus is null ? abort.HttpStatus : null, GrpcStatus = abort.GrpcStatus, Percentage = Percent(abort.Percentage) }
                        : null,
                }
                : null,
            Mirror = route.Mirror is { } mirror ? Destination(mirror) : null,
            MirrorPercentage = Percent(route.MirrorPercentage),
            Headers = Headers(route.Headers),
        };
    }

    private static IstioHttpMatch Match(HttpMatchRequest match) => new()
    {
        Name = match.Name,
        Uri = StringMatch(match.Uri),
        Scheme = StringMatch(match.Scheme),
        Method = StringMatch(match.Method),
        Authority = StringMatch(match.Authority),
        Headers = StringMatches(match.Headers),
        QueryParams = StringMatches(match.QueryParams),
        WithoutHeaders = StringMatches(match.WithoutHeaders),
        IgnoreUriCase = match.IgnoreUriCase ? true : null,
        SourceLabels = match.SourceLabels?.ToDictionary(),
        Port = match.Port,
    };

    private static Dictionary<string, IstioStringMatch>? StringMatches(IReadOnlyDictionary<string, StringMatch>? matches) =>
        matches?.ToDictionary(pair => pair.Key, pair => StringMatch(pair.Value)!);

    private static IstioStringMatch? StringMatch(StringMatch? match) => match?.Kind switch
    {
        null => null,
        StringMatchKind.Exact => new IstioStringMatch { Exact = match.Value },
        StringMatchKind.Prefix => new IstioStringMatch { Prefix = match.Value },
        StringMatchKind.Regex => new IstioStringMatch { Regex = match.Value },
        // Presence only: Istio's empty matcher.
        _ => new IstioStringMatch(),
    };

    private static IstioTcpRoute Route(TcpRoute route)
    {
        var destinations = route.Route ?? [];
        var percentages = Percentages([.. destinations.Select(destination => destination.Weight)]);
        return new IstioTcpRoute
        {
            Match = route.Match?.Select(match => new IstioL4Match { Port = match.Port, SourceLabels = match.SourceLabels?.ToDictionary() }).ToList(),
            Route = destinations.Count == 0 ? null : [.. destinations.Select((destination, index) => new IstioRouteDestination
            {
                Destination = Destination(destination.Destination),
                Weight = percentages[index],
            })],
        };
    }

    private static IstioDestination Destination(Destination destination) => new()
    {
        Host = destination.Host,
        Subset = destination.Subset,
        Port = destination.Port is { } port ? new IstioPort { Number = port } : null,
    };

    private static IstioHeaders? Headers(Headers? headers) => headers is null
        ? null
        : new IstioHeaders { Request = Operations(headers.Request), Response = Operations(headers.Response) };

    private static IstioHeaderOperations? Operations(HeaderOperations? operations) => operations is null
        ? null
        : new IstioHeaderOperations { Set = operations.Set?.ToDictionary(), Add = operations.Add?.ToDictionary(), Remove = List(operations.Remove) };

    private static IstioPercent? Percent(double? percentage) => percentage is { } value ? new IstioPercent { Value = value } : null;

    private static IstioTrafficPolicy? TrafficPolicy(TrafficPolicy? policy, SimpleLoadBalancer fallback) => policy is null
        ? null
        : new IstioTrafficPolicy
        {
            LoadBalancer = policy.LoadBalancer is { } balancer
                ? new IstioLoadBalancer
                {
                    Simple = balancer.ConsistentHash is null ? (balancer.Simple ?? fallback).ToIstioName() : null,
                    ConsistentHash = balancer.ConsistentHash is { } hash
                        ? new IstioConsistentHash
                        {
                            HttpHeaderName = hash.HttpHeaderName,
                            HttpCookie = hash.HttpCookie is { } cookie ? new IstioHttpCookie { Name = cookie.Name, Path = cookie.Path, Ttl = cookie.Ttl is { } ttl ? MeshDuration.Format(ttl) : null } : null,
                            UseSourceIp = hash.UseSourceIp ? true : null,
                            HttpQueryParameterName = hash.HttpQueryParameterName,
                            MinimumRingSize = hash.MinimumRingSize,
                        }
                        : null,
                }
                : null,
            ConnectionPool = policy.ConnectionPool is { } pool
                ? new IstioConnectionPool
                {
                    Tcp = pool.Tcp is { } tcp ? new IstioTcpSettings { MaxConnections = tcp.MaxConnections, ConnectTimeout = Duration(tcp.ConnectTimeout), IdleTimeout = Duration(tcp.IdleTimeout) } : null,
                    Http = pool.Http is { } http
                        ? new IstioHttpSettings
                        {
                            Http1MaxPendingRequests = http.Http1MaxPendingRequests,
                            Http2MaxRequests = http.Http2MaxRequests,
                            MaxRequestsPerConnection = http.MaxRequestsPerConnection,
                            MaxRetries = http.MaxRetries,
                            IdleTimeout = Duration(http.IdleTimeout),
                        }
                        : null,
                }
                : null,
            OutlierDetection = policy.OutlierDetection is { } detection
                ? new IstioOutlierDetection
                {
                    Consecutive5xxErrors = detection.Consecutive5xxErrors,
                    ConsecutiveGatewayErrors = detection.ConsecutiveGatewayErrors,
                    Interval = Duration(detection.Interval),
                    BaseEjectionTime = Duration(detection.BaseEjectionTime),
                    MaxEjectionPercent = detection.MaxEjectionPercent,
                    MinHealthPercent = detection.MinHealthPercent,
                }
                : null,
            Tls = Tls(policy.Tls),
            PortLevelSettings = policy.PortLevelSettings?.Select(settings =>
            {
                var own = TrafficPolicy(new TrafficPolicy { LoadBalancer = settings.LoadBalancer, ConnectionPool = settings.ConnectionPool, OutlierDetection = settings.OutlierDetection, Tls = settings.Tls }, fallback)!;
                return new IstioPortTrafficPolicy { Port = new IstioPort { Number = settings.Port }, LoadBalancer = own.LoadBalancer, ConnectionPool = own.ConnectionPool, OutlierDetection = own.OutlierDetection, Tls = own.Tls };
            }).ToList(),
        };

    private static IstioClientTls? Tls(ClientTlsSettings? tls) => tls is null
        ? null
        : new IstioClientTls
        {
            Mode = tls.Mode switch { ClientTlsMode.Simple => "SIMPLE", ClientTlsMode.Mutual => "MUTUAL", ClientTlsMode.IstioMutual => "ISTIO_MUTUAL", _ => "DISABLE" },
            Sni = tls.Sni,
            CaCertificates = tls.CaCertificates,
            InsecureSkipVerify = tls.InsecureSkipVerify ? true : null,
        };

    private static string? Duration(TimeSpan? duration) => duration is { } value ? MeshDuration.Format(value) : null;

    private static string Mode(MutualTlsMode mode) => mode.ToString().ToUpper(CultureInfo.InvariantCulture);

    private static List<string>? List(IEnumerable<string>? values) => values?.ToList() is { Count: > 0 } list ? list : null;
}
