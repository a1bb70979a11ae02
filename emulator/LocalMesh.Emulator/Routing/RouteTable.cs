using System.Collections.Frozen;
using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Randomness;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Routing;

/// <summary>One weighted destination of a compiled route.</summary>
internal sealed record WeightedCluster(Cluster Cluster, int Weight, HttpRouteDestination Destination);

/// <summary>A compiled <see cref="HttpRoute"/>.</summary>
internal sealed class CompiledRoute
{
    private readonly RouteMatcher[] _matchers;
    private readonly WeightedCluster[] _destinations;
    private readonly int _totalWeight;

    public CompiledRoute(HttpRoute config, string name, RouteMatcher[] matchers, WeightedCluster[] destinations, Cluster? mirror)
    {
        Config = config;
        Name = name;
        _matchers = matchers;
        _destinations = destinations;
        _totalWeight = destinations.Sum(destination => destination.Weight);
        Retry = RetryPolicy.For(config);
        // Istio gives a route with a fault no timeout either.
        Timeout = config.Fault is null && config.Timeout is { } timeout && timeout > TimeSpan.Zero ? timeout : null;
        Mirror = mirror;
        MirrorPercentage = config.MirrorPercentage ?? 100;
    }

    public HttpRoute Config { get; }

    public string Name { get; }

    /// <summary>The compiled match entries (none: the catch-all).</summary>
    public IReadOnlyList<RouteMatcher> Matchers => _matchers;

    public IReadOnlyList<WeightedCluster> Destinations => _destinations;

    public RetryPolicy Retry { get; }

    public TimeSpan? Timeout { get; }

    public Cluster? Mirror { get; }

    public double MirrorPercentage { get; }

    /// <summary>The first match entry that holds, or null; a route without entries is the catch-all.</summary>
    public RouteMatcher? Match(HttpRequest request, in MatchContext context)
    {
        if (_matchers.Length == 0)
        {
            return RouteMatcher.CatchAll;
        }

        foreach (var matcher in _matchers)
        {
            if (matcher.IsMatch(request, context))
            {
                return matcher;
            }
        }

        return null;
    }

    /// <summary>A destination in proportion to its weight (relative weights, Istio ≥ 1.15); null when none has weight.</summary>
    public WeightedCluster? PickDestination(IMeshRandom random)
    {
        if (_totalWeight <= 0)
        {
            return null;
        }

        if (_destinations.Length == 1)
        {
            return _destinations[0];
        }

        var point = random.Next(_totalWeight);
        foreach (var destination in _destinations)
        {
            if (point < destination.Weight)
            {
                return destination;
            }

            point -= destination.Weight;
        }

        return _destinations[^1];
    }
}

/// <summary>
/// A service's compiled routes (its VirtualService), tried in order. A service without routes
/// gets one catch-all route to all of its endpoints.
/// </summary>
internal sealed class RouteTable(string service, int port, ImmutableArray<CompiledRoute> routes)
{
    /// <summary>Below this many routes a plain scan is as fast as the index.</summary>
    private const int IndexThreshold = 8;

    private readonly UriIndex? _index = routes.Length >= IndexThreshold ? UriIndex.Build(routes) : null;

    public string Service { get; } = service;

    public int Port { get; } = port;

    public ImmutableArray<CompiledRoute> Routes { get; } = routes;

    /// <summary>
    /// The first route whose match holds, as Envoy evaluates them, or null (404, flag NR). Routes
    /// still run in order; the index only skips those whose every entry needs a path this request
    /// does not have.
    /// </summary>
    public (CompiledRoute Route, RouteMatcher Matcher)? Match(HttpRequest request, in MatchContext context)
    {
        if (_index is null)
        {
            foreach (var route in Routes)
            {
                if (route.Match(request, context) is { } matcher)
                {
                    return (route, matcher);
                }
            }

            return null;
        }

        Span<bool> candidates = Routes.Length <= 4096 ? stackalloc bool[Routes.Length] : new bool[Routes.Length];
        _index.MarkCandidates(request.Path.Value ?? "/", candidates);
        for (var i = 0; i < Routes.Length; i++)
        {
            if ((candidates[i] || !_index.IsGated(i)) && Routes[i].Match(request, context) is { } matcher)
            {
                return (Routes[i], matcher);
            }
        }

        return null;
    }

    /// <summary>
    /// A trie over the exact and prefix URI conditions of routes whose every match entry has one
    /// (case-sensitive, not a regex): one walk of the path finds the only such routes that can match.
    /// </summary>
    private sealed class UriIndex
    {
        private readonly Node _root = new();
        private readonly bool[] _gated;

        private UriIndex(int count) => _gated = new bool[count];

        public bool IsGated(int route) => _gated[route];

        public static UriIndex Build(ImmutableArray<CompiledRoute> routes)
        {
            var index = new UriIndex(routes.Length);
            for (var i = 0; i < routes.Length; i++)
            {
                var entries = routes[i].Matchers;
                if (entries.Count == 0 || !entries.All(entry => entry.Uri is { Kind: StringMatchKind.Exact or StringMatchKind.Prefix } && !entry.IgnoreUriCase))
                {
                    continue;
                }

                index._gated[i] = true;
                foreach (var entry in entries)
                {
                    var node = entry.Uri!.Value.Aggregate(index._root, (at, c) => at.Children.TryGetValue(c, out var next) ? next : at.Children[c] = new Node());
                    (entry.Uri.Kind == StringMatchKind.Exact ? node.Exact : node.Prefix).Add(i);
                }
            }

            return index;
        }

        public void MarkCandidates(string path, Span<bool> candidates)
        {
            var node = _root;
            foreach (var route in node.Prefix)
            {
                candidates[route] = true;
            }

            foreach (var c in path)
            {
                if (!node.Children.TryGetValue(c, out node!))
                {
                    return;
                }

                foreach (var route in node.Prefix)
                {
                    candidates[route] = true;
                }
            }

            foreach (var route in node.Exact)
            {
                candidates[route] = true;
            }
        }

        private sealed class Node
        {
            public Dictionary<char, Node> Children { get; } = [];

            public List<int> Prefix { get; } = [];

            public List<int> Exact { get; } = [];
        }
    }
}

/// <summary>Compiles every service's routes and clusters from a configuration and its ready endpoints.</summary>
internal static class RouteCompiler
{
    /// <summary>A load balancer that names neither a simple policy nor a hash is the default one.</summary>
    private static LoadBalancerSettings Effective(LoadBalancerSettings? settings, SimpleLoadBalancer fallback) =>
        settings is { Simple: not null } or { ConsistentHash: not null } ? settings : new LoadBalancerSettings { Simple = fallback };

    public static (FrozenDictionary<string, RouteTable> Routes, FrozenDictionary<string, Cluster> Clusters) Compile(
        MeshConfig config, IReadOnlyDictionary<string, ImmutableArray<UpstreamEndpoint>> upstreams)
    {
        var clusters = new Dictionary<string, Cluster>(StringComparer.Ordinal);
        foreach (var service in config.Services)
        {
            var endpoints = upstreams.GetValueOrDefault(service.Name, []);
            var rule = service.DestinationRule;
            var ruledPolicy = (rule?.TrafficPolicy ?? new TrafficPolicy()).ForPort(service.Port);
            // Where the rule names no load balancer, the mesh's default (Istio's unless the model says otherwise).
            var servicePolicy = ruledPolicy with { LoadBalancer = Effective(ruledPolicy.LoadBalancer, config.DefaultLoadBalancer) };
            clusters[ClusterKey(service.Name, null)] = new Cluster(service.Name, service.Port, null, endpoints, servicePolicy, service.Protocol);
            foreach (var subset in rule?.Subsets ?? [])
            {
                var selected = endpoints.Where(endpoint => subset.Labels.All(label =>
                    endpoint.Labels.TryGetValue(label.Key, out var value) && value == label.Value)).ToImmutableArray();
                // A subset's settings apply, where it has them, only to traffic routed to the subset; a version
                // Service's subset is a host of its own, with its own rule's settings only.
                var ownPolicy = subset.VersionService is null ? null : (subset.TrafficPolicy ?? new TrafficPolicy()).ForPort(service.Port);
                var policy = ownPolicy is not null
                    ? ownPolicy with { LoadBalancer = Effective(ownPolicy.LoadBalancer, config.DefaultLoadBalancer) }
                    : new TrafficPolicy
                    {
                        LoadBalancer = subset.TrafficPolicy?.LoadBalancer is { } own ? Effective(own, config.DefaultLoadBalancer) : servicePolicy.LoadBalancer,
                        ConnectionPool = subset.TrafficPolicy?.ConnectionPool ?? servicePolicy.ConnectionPool,
                        OutlierDetection = subset.TrafficPolicy?.OutlierDetection ?? servicePolicy.OutlierDetection,
                    };
                clusters[ClusterKey(service.Name, subset.Name)] = new Cluster(service.Name, service.Port, subset, selected, policy, service.Protocol);
            }
        }

        var routes = config.Services.ToFrozenDictionary(
            service => service.Name,
            service => new RouteTable(service.Name, service.Port, service.Http.IsDefaultOrEmpty
                ? [new CompiledRoute(new HttpRoute(), "default", [], [new WeightedCluster(clusters[ClusterKey(service.Name, null)], 100, new HttpRouteDestination(new Destination(service.Name)))], null)]
                : [.. service.Http.Select((route, index) => CompileRoute(route, index, clusters))]),
            StringComparer.Ordinal);

        return (routes, clusters.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The virtual hosts of each ingress listener that Gateways select, by listener name.</summary>
    public static FrozenDictionary<string, GatewayRoutes> CompileGateways(MeshConfig config, FrozenDictionary<string, Cluster> clusters)
    {
        var gateways = config.Gateways.Where(gateway => gateway.SelectsIngressGateway).ToList();
        if (gateways.Count == 0)
        {
            return FrozenDictionary<string, GatewayRoutes>.Empty;
        }

        // Each host a bound VirtualService serves on a selected Gateway's server, once per VirtualService.
        var served = (
            from virtualService in config.GatewayVirtualServices
            from gateway in gateways
            where virtualService.Gateways.Contains(gateway.FullName(config.Namespace))
            from server in gateway.Servers
            from serverHost in server.Hosts
            from host in virtualService.Hosts
            let domain = VirtualService.Intersect(serverHost, host)
            where domain is not null
            select (Domain: domain, server.Port, VirtualService: virtualService))
            .DistinctBy(pair => (pair.Domain, pair.VirtualService.Name, pair.VirtualService.Namespace))
            .ToList();
        var compiled = served.Select(pair => pair.VirtualService).Distinct()
            .ToDictionary(virtualService => virtualService, virtualService => virtualService.Http.Select((route, index) => CompileRoute(route, index, clusters)).ToList());
        var virtualHosts = served.GroupBy(pair => pair.Domain, StringComparer.OrdinalIgnoreCase)
            .Select(host => (host.Key, new RouteTable(host.Key, host.First().Port, [.. host.SelectMany(pair => compiled[pair.VirtualService])])))
            .ToImmutableArray();
        var table = new GatewayRoutes(virtualHosts);
        return config.Listeners.Where(listener => listener.Kind == ListenerKind.Ingress)
            .ToFrozenDictionary(listener => listener.Name, _ => table, StringComparer.Ordinal);
    }

    public static string ClusterKey(string host, string? subset) => subset is null ? host : $"{host}/{subset}";

    /// <summary>
    /// Each TCP service's routes, tried in order for a new connection: its VirtualService's
    /// <c>tcp</c> routes, or one that sends every connection to the whole service.
    /// </summary>
    public static FrozenDictionary<string, ImmutableArray<CompiledRoute>> CompileTcp(MeshConfig config, IReadOnlyDictionary<string, Cluster> clusters) =>
        config.Services.Where(service => service.Protocol == ServiceProtocol.Tcp).ToFrozenDictionary(
            service => service.Name,
            service => service.Tcp.IsDefaultOrEmpty
                ? [CompileRoute(new HttpRoute { Name = "default", Route = [new HttpRouteDestination(new Destination(service.Name))] }, 0, clusters)]
                : service.Tcp.Select((route, index) => CompileRoute(route.AsHttpRoute(index), index, clusters)).ToImmutableArray(),
            StringComparer.Ordinal);

    /// <summary>The first of <paramref name="routes"/> whose match takes a connection to <paramref name="port"/> from a caller with <paramref name="sourceLabels"/>.</summary>
    public static CompiledRoute? MatchTcp(ImmutableArray<CompiledRoute> routes, int port, IReadOnlyDictionary<string, string> sourceLabels)
    {
        foreach (var route in routes)
        {
            if (route.Config.Match is not { Count: > 0 } matches || matches.Any(match =>
                (match.Port is null || match.Port == port)
                && (match.SourceLabels is null || match.SourceLabels.All(label => sourceLabels.TryGetValue(label.Key, out var value) && value == label.Value))))
            {
                return route;
            }
        }

        return null;
    }

    private static CompiledRoute CompileRoute(HttpRoute route, int index, IReadOnlyDictionary<string, Cluster> clusters) =>
        CompileRoute(route, index, destination => clusters.GetValueOrDefault(ClusterKey(destination.Host, destination.Subset)) is { } cluster
            && (destination.Port is null || destination.Port == cluster.Port) ? cluster : null);

    private static CompiledRoute CompileRoute(HttpRoute route, int index, Func<Destination, Cluster?> resolve)
    {
        var destinations = route.Route ?? [];
        var weighted = destinations
            .Select(destination => new WeightedCluster(
                resolve(destination.Destination) ?? Cluster.NotFound(destination.Destination.Host, destination.Destination.Subset),
                // A lone destination gets everything; otherwise an unset weight is 0.
                destination.Weight ?? (destinations.Count == 1 ? 100 : 0),
                destination))
            .ToArray();
        // A mirror to a cluster the mesh does not have sends nothing, as Envoy's shadow to an unknown cluster.
        var mirror = route.Mirror is { } target ? resolve(target) : null;
        return new CompiledRoute(
            route,
            route.Name ?? $"route-{index}",
            [.. (route.Match ?? []).Select(match => new RouteMatcher(match))],
            weighted,
            mirror);
    }

    /// <summary>
    /// The routes of each host and port of the ServiceEntries, as Istio builds a route
    /// configuration per port: the host's VirtualService (a destination without a port keeps the
    /// port called), its DestinationRule's policy for that port (TLS origination with
    /// <c>tls.mode: SIMPLE</c>), and the endpoints the entry's resolution gives.
    /// </summary>
    public static EgressRoutes CompileEgress(MeshConfig config, IReadOnlyDictionary<string, Cluster> meshClusters)
    {
        var rules = config.ExternalServices.ToDictionary(service => service.Name, StringComparer.OrdinalIgnoreCase);
        var hosts = new Dictionary<(string Host, int Port), EgressHost>();
        var clusters = new Dictionary<string, Cluster>(StringComparer.OrdinalIgnoreCase);
        var entries = config.ServiceEntries.SelectMany(entry => entry.Hosts.Select(host => (Entry: entry, Host: host))).ToList();
        foreach (var (entry, host) in entries)
        {
            var rule = rules.GetValueOrDefault(host);
            foreach (var port in entry.Ports)
            {
                var policy = rule?.DestinationRule?.TrafficPolicy ?? new TrafficPolicy();
                clusters.TryAdd(EgressClusterKey(host, port.Number, null), EgressCluster(config, entry, host, port, null, policy.ForPort(port.Number)));
                foreach (var subset in rule?.DestinationRule?.Subsets ?? [])
                {
                    var own = subset.TrafficPolicy is { } subsetPolicy
                        ? policy.ForPort(port.Number) with
                        {
                            LoadBalancer = subsetPolicy.LoadBalancer ?? policy.LoadBalancer,
                            ConnectionPool = subsetPolicy.ConnectionPool ?? policy.ConnectionPool,
                            OutlierDetection = subsetPolicy.OutlierDetection ?? policy.OutlierDetection,
                            Tls = subsetPolicy.Tls ?? policy.ForPort(port.Number).Tls,
                        }
                        : policy.ForPort(port.Number);
                    clusters.TryAdd(EgressClusterKey(host, port.Number, subset.Name), EgressCluster(config, entry, host, port, subset, own));
                }
            }
        }

        foreach (var (entry, host) in entries)
        {
            var rule = rules.GetValueOrDefault(host);
            foreach (var port in entry.Ports)
            {
                Cluster? Resolve(Destination destination) =>
                    clusters.GetValueOrDefault(EgressClusterKey(destination.Host, destination.Port ?? port.Number, destination.Subset))
                    ?? meshClusters.GetValueOrDefault(ClusterKey(destination.Host, destination.Subset));

                var own = new Destination(host);
                var http = rule is null || rule.Http.IsDefaultOrEmpty
                    ? [CompileRoute(new HttpRoute { Name = "default", Route = [new HttpRouteDestination(own)] }, 0, Resolve)]
                    : rule.Http.Select((route, index) => CompileRoute(route, index, Resolve)).ToImmutableArray();
                var tcp = rule is null || rule.Tcp.IsDefaultOrEmpty
                    ? [CompileRoute(new HttpRoute { Name = "default", Route = [new HttpRouteDestination(own)] }, 0, Resolve)]
                    : rule.Tcp.Select((route, index) => CompileRoute(route.AsHttpRoute(index), index, Resolve)).ToImmutableArray();
                hosts.TryAdd((host.ToLowerInvariant(), port.Number), new EgressHost(host, port, new RouteTable(host, port.Number, http), tcp));
            }
        }

        return new EgressRoutes(hosts, config.OutboundTrafficPolicy);
    }

    private static string EgressClusterKey(string host, int port, string? subset) => ClusterKey($"{host}:{port}", subset);

    private static Cluster EgressCluster(MeshConfig config, ServiceEntry entry, string host, ServiceEntryPort port, Subset? subset, TrafficPolicy policy)
    {
        policy = policy with { LoadBalancer = Effective(policy.LoadBalancer, config.DefaultLoadBalancer) };
        var protocol = port.Protocol.ToUpperInvariant() switch
        {
            "HTTP2" => ServiceProtocol.Http2,
            "GRPC" => ServiceProtocol.Grpc,
            "HTTP" or "GRPC-WEB" => ServiceProtocol.Http,
            _ => ServiceProtocol.Tcp,
        };
        if (entry.Resolution == ServiceEntryResolution.None)
        {
            return Cluster.OriginalDestination(host, port.Number, policy);
        }

        var scheme = policy.Tls is { Mode: ClientTlsMode.Simple } ? "https" : "http";
        var endpoints = entry.Endpoints.IsDefaultOrEmpty
            ? (host.StartsWith('*') ? [] : [new ServiceEntryEndpoint(host)])
            : entry.Endpoints;
        var selected = endpoints
            .Select((endpoint, index) => UpstreamEndpoint.External(
                host,
                index,
                (endpoint.Labels ?? ImmutableDictionary<string, string>.Empty).ToImmutableDictionary(),
                new UriBuilder(scheme, endpoint.Address, endpoint.Ports?.GetValueOrDefault(port.Name) ?? port.TargetPort ?? port.Number).Uri))
            .Where(endpoint => subset is null || subset.Labels.All(label => endpoint.Labels.TryGetValue(label.Key, out var value) && value == label.Value))
            .ToImmutableArray();
        return new Cluster(host, port.Number, subset, selected, policy, protocol);
    }
}

/// <summary>One port of one ServiceEntry host, compiled: its HTTP routes and the routes a tunnel to it takes.</summary>
internal sealed record EgressHost(string Host, ServiceEntryPort Port, RouteTable Http, ImmutableArray<CompiledRoute> Tunnel);

/// <summary>
/// What an egress listener (a workload's HTTP proxy) finds for the host and port a call names:
/// a ServiceEntry's host (exact first, then the longest wildcard that covers it), or nothing —
/// then the mesh's <see cref="OutboundTrafficPolicyMode"/> decides.
/// </summary>
internal sealed class EgressRoutes(IReadOnlyDictionary<(string Host, int Port), EgressHost> hosts, OutboundTrafficPolicyMode mode)
{
    private readonly FrozenDictionary<(string Host, int Port), EgressHost> _hosts = hosts.ToFrozenDictionary();

    private readonly ImmutableArray<((string Host, int Port) Key, EgressHost Host)> _wildcards =
        [.. hosts.Where(pair => pair.Key.Host.StartsWith("*.", StringComparison.Ordinal)).OrderByDescending(pair => pair.Key.Host.Length).Select(pair => (pair.Key, pair.Value))];

    public static EgressRoutes None { get; } = new(new Dictionary<(string, int), EgressHost>(), OutboundTrafficPolicyMode.AllowAny);

    public OutboundTrafficPolicyMode Mode { get; } = mode;

    public EgressHost? Find(string host, int port)
    {
        host = host.TrimEnd('.').ToLowerInvariant();
        if (_hosts.TryGetValue((host, port), out var exact))
        {
            return exact;
        }

        foreach (var (key, wildcard) in _wildcards)
        {
            if (key.Port == port && host.EndsWith(key.Host[1..], StringComparison.Ordinal))
            {
                return wildcard;
            }
        }

        return null;
    }
}
