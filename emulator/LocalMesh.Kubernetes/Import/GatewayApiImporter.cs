using System.Collections.Immutable;
using k8s;
using k8s.Models;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.Kubernetes.Import;

/// <summary>The routes the files' HTTPRoutes give one mesh service, GAMMA style (<c>parentRefs</c> to the Service).</summary>
/// <param name="Routes">Its routes, in the Gateway API's order of precedence.</param>
/// <param name="Subsets">The subsets its backends name: a Service of the files that selects some of its workloads (bookinfo's <c>reviews-v1</c>).</param>
/// <param name="From">The HTTPRoutes, in the order read.</param>
internal sealed record ImportedHttpRoutes(ImmutableArray<HttpRoute> Routes, ImmutableArray<Subset> Subsets, ImmutableArray<LoadedObject<HttpRouteSpec>> From);

/// <summary>What the files' Gateway API Gateways give the ingress gateway: each Gateway, and the HTTPRoutes attached to it as VirtualServices bound to it.</summary>
/// <param name="Gateways">The Gateways of class istio.</param>
/// <param name="VirtualServices">Their routes, a VirtualService per Gateway and set of hostnames.</param>
/// <param name="Sources">The HTTPRoutes each VirtualService is made of, by its name.</param>
internal sealed record ImportedGatewayApiIngress(
    IReadOnlyList<(GatewayConfig Gateway, LoadedObject<GatewayApiGatewaySpec> From)> Gateways,
    IReadOnlyList<VirtualService> VirtualServices,
    IReadOnlyDictionary<string, IReadOnlyList<ConfigDocument>> Sources);

/// <summary>
/// The Gateway API's HTTPRoutes attached to a mesh service (Istio's GAMMA support, as in its
/// bookinfo <c>route-reviews-*.yaml</c>), as the emulator's routes: matches, filters, weighted
/// backends and timeouts, ordered as the Gateway API orders rules across the routes of one parent.
/// A backend is a mesh service, or a core <c>Service</c> of the files whose selector picks some of
/// a mesh service's workloads, which becomes a subset of it.
/// </summary>
internal static class GatewayApiImporter
{
    public static IReadOnlyDictionary<string, ImportedHttpRoutes> Import(
        ConfigurationFiles files,
        string meshNamespace,
        IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> workloads,
        IReadOnlyDictionary<string, (string Service, Subset Subset)> backends,
        List<ConfigFinding> findings)
    {
        var entries = new Dictionary<string, List<(RouteOrder Order, HttpRoute Route)>>(StringComparer.Ordinal);
        var sources = new Dictionary<string, List<LoadedObject<HttpRouteSpec>>>(StringComparer.Ordinal);
        foreach (var attached in Attachments(files))
        {
            var (parent, field) = (attached.Parent, $"spec.parentRefs[{attached.Index}]");
            if (parent is { Kind: null or "Gateway", Group: null or "gateway.networking.k8s.io" })
            {
                continue; // north-south: see ImportIngress
            }

            if (parent is not { Kind: "Service", Group: null or "" or "core" })
            {
                findings.Add(attached.Warning(field, $"attaches the route to a {parent.Kind} ('{parent.Name}'), which the mesh does not emulate; it is kept for the cluster.",
                    "nothing to do for the cluster; a route attached to a Service of the mesh or to a Gateway applies locally."));
                continue;
            }

            if ((parent.Namespace ?? attached.Namespace) != meshNamespace || !workloads.ContainsKey(parent.Name))
            {
                findings.Add(attached.Warning($"{field}.name", $"Referenced parent not found: Service \"{parent.Name}\" is no service of the app, so the route applies to nothing locally (a controller sets Accepted false, NoMatchingParent).",
                    $"use one of: {string.Join(", ", workloads.Keys.Order(StringComparer.Ordinal))}."));
                continue;
            }

            if (attached.Route.Spec.Hostnames is { Count: > 0 } && attached.Index == 0)
            {
                findings.Add(attached.Warning("spec.hostnames", "are kept for the cluster; locally a route attached to a Service applies to every call to it, whatever its Host header.",
                    "nothing to do for the cluster; leave hostnames out of a route attached to a Service to mean the same in both."));
            }

            (entries.TryGetValue(parent.Name, out var list) ? list : entries[parent.Name] = []).AddRange(Rules(attached, meshNamespace, backends, workloads, findings));
            (sources.TryGetValue(parent.Name, out var from) ? from : sources[parent.Name] = []).Add(attached.Route);
        }

        return entries.ToDictionary(
            pair => pair.Key,
            pair => new ImportedHttpRoutes(
                [.. pair.Value.OrderBy(entry => entry.Order).Select(entry => entry.Route)],
                [.. backends.Values.Where(backend => backend.Service == pair.Key).Select(backend => backend.Subset)],
                [.. sources[pair.Key].Distinct()]),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// The files' TCPRoutes attached to a mesh service, as its <c>tcp</c> routes: each rule's
    /// weighted backends, in the order read (a TCP route has no matches, so the first applies).
    /// </summary>
    public static IReadOnlyDictionary<string, (ImmutableArray<TcpRoute> Routes, ImmutableArray<Subset> Subsets, ImmutableArray<LoadedObject<TcpRouteSpec>> From)> ImportTcp(
        ConfigurationFiles files, string meshNamespace, IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> workloads,
        IReadOnlyDictionary<string, (string Service, Subset Subset)> backends, List<ConfigFinding> findings)
    {
        var result = new Dictionary<string, (ImmutableArray<TcpRoute>, ImmutableArray<Subset>, ImmutableArray<LoadedObject<TcpRouteSpec>>)>(StringComparer.Ordinal);
        foreach (var loaded in files.TcpRoutes)
        {
            var objectName = loaded.Document.Object(files.DefaultNamespace);
            var objectNamespace = loaded.Document.Namespace ?? files.DefaultNamespace;
            ConfigFinding Warning(string field, string problem, string fix) => new(FindingSeverity.Warning, loaded.At(field), objectName, field, problem, fix);
            ConfigFinding Error(string field, string problem, string fix) => new(FindingSeverity.Error, loaded.At(field), objectName, field, problem, fix);
            foreach (var (parent, index) in (loaded.Spec.ParentRefs ?? []).Select((parent, index) => (parent, index)))
            {
                if (parent is not { Kind: "Service", Group: null or "" or "core" } || (parent.Namespace ?? objectNamespace) != meshNamespace || !workloads.ContainsKey(parent.Name))
                {
                    findings.Add(Warning($"spec.parentRefs[{index}]", $"attaches the route to {parent.Kind ?? "Gateway"} '{parent.Name}'; locally a TCPRoute applies when it is attached to a Service of the mesh, so this one is kept for the cluster.",
                        "nothing to do for the cluster."));
                    continue;
                }

                var routes = (loaded.Spec.Rules ?? []).Select((rule, ruleIndex) => new TcpRoute
                {
                    Route = [.. (rule.BackendRefs ?? []).Select((backend, at) => new RouteDestination(
                        Backend(backend, $"spec.rules[{ruleIndex}].backendRefs[{at}]", objectNamespace, meshNamespace, backends, workloads, Warning, Error, findings).Destination, backend.Weight ?? 1))],
                });
                var current = result.GetValueOrDefault(parent.Name);
                result[parent.Name] = (
                    [.. current.Item1.IsDefault ? [] : current.Item1, .. routes],
                    [.. backends.Values.Where(backend => backend.Service == parent.Name).Select(backend => backend.Subset)],
                    [.. current.Item3.IsDefault ? [] : current.Item3, loaded]);
            }
        }

        return result;
    }

    /// <summary>
    /// The Gateways of class <c>istio</c> (which Istio serves with a gateway deployment of its own;
    /// locally the app's ingress gateway) and the HTTPRoutes attached to them, as Istio Gateways and
    /// VirtualServices bound to them: one per Gateway and set of hostnames, its rules in the Gateway
    /// API's order of precedence.
    /// </summary>
    public static ImportedGatewayApiIngress ImportIngress(
        ConfigurationFiles files, string meshNamespace, IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> workloads,
        IReadOnlyDictionary<string, (string Service, Subset Subset)> backends, List<ConfigFinding> findings)
    {
        var gateways = new List<(GatewayConfig, LoadedObject<GatewayApiGatewaySpec>)>();
        foreach (var loaded in files.GatewayApiGateways)
        {
            var objectName = loaded.Document.Object(files.DefaultNamespace);
            if (loaded.Spec.GatewayClassName != "istio")
            {
                findings.Add(new ConfigFinding(FindingSeverity.Warning, loaded.At("spec.gatewayClassName"), objectName, "spec.gatewayClassName",
                    $"is '{loaded.Spec.GatewayClassName}', a class Istio does not serve; locally it configures nothing (a controller of that class serves it in the cluster).", "use gatewayClassName: istio for Istio's gateway."));
                continue;
            }

            for (var index = 0; index < loaded.Spec.Listeners.Count; index++)
            {
                // Locally every route is in the mesh's namespace: Same (the default) is what the gateway does; others are the cluster's.
                if (loaded.Spec.Listeners[index].AllowedRoutes?.Namespaces?.From is { } from and not "Same")
                {
                    findings.Add(new ConfigFinding(FindingSeverity.Warning, loaded.At($"spec.listeners[{index}].allowedRoutes.namespaces.from"), objectName, $"spec.listeners[{index}].allowedRoutes.namespaces.from",
                        $"is {from}; locally the gateway takes the routes of the app's own namespace (Same), the only one it has.", "nothing to do for the cluster."));
                }
            }

            gateways.Add((new GatewayConfig(loaded.Document.Name)
            {
                Namespace = loaded.Document.Namespace,
                Selector = GatewayConfig.IngressGatewayLabels[0],
                Servers = [.. loaded.Spec.Listeners.Select(listener => new GatewayServer(listener.Port, listener.Protocol, [listener.Hostname ?? "*"]) { PortName = listener.Name })],
            }, loaded));
        }

        var entries = new Dictionary<(string Gateway, string Hosts), List<(RouteOrder Order, HttpRoute Route)>>();
        var sources = new Dictionary<(string Gateway, string Hosts), List<ConfigDocument>>();
        foreach (var attached in Attachments(files))
        {
            var parent = attached.Parent;
            if (parent is not { Kind: null or "Gateway", Group: null or "gateway.networking.k8s.io" })
            {
                continue;
            }

            var fullName = $"{parent.Namespace ?? attached.Namespace}/{parent.Name}";
            if (!gateways.Any(gateway => gateway.Item1.FullName(files.DefaultNamespace) == fullName))
            {
                findings.Add(attached.Warning($"spec.parentRefs[{attached.Index}].name", $"Referenced parent not found: no file defines Gateway {fullName} (of class istio), so these routes are served by no gateway locally (a controller sets Accepted false, NoMatchingParent).",
                    $"add the Gateway to the files, or name one they define ({string.Join(", ", gateways.Select(gateway => gateway.Item1.FullName(files.DefaultNamespace)))})."));
                continue;
            }

            var spec = attached.Route.Spec;
            var key = (fullName, string.Join(",", spec.Hostnames is { Count: > 0 } names ? names : ["*"]));
            // A rule's own findings are said once, with its reading on a Service when it has one.
            (entries.TryGetValue(key, out var list) ? list : entries[key] = [])
                .AddRange(Rules(attached, meshNamespace, backends, workloads, spec.ParentRefs!.Any(other => other.Kind == "Service") ? [] : findings));
            (sources.TryGetValue(key, out var from) ? from : sources[key] = []).Add(attached.Route.Document);
        }

        static string Name((string Gateway, string Hosts) key) => $"{key.Gateway.Split('/')[1]}-httproutes";
        var virtualServices = entries.Select(pair => new VirtualService(Name(pair.Key))
        {
            Hosts = [.. pair.Key.Hosts.Split(',')],
            Gateways = [pair.Key.Gateway],
            Http = [.. pair.Value.OrderBy(entry => entry.Order).Select(entry => entry.Route)],
        }).ToList();
        return new ImportedGatewayApiIngress(gateways, virtualServices,
            sources.ToDictionary(pair => Name(pair.Key), pair => (IReadOnlyList<ConfigDocument>)[.. pair.Value.Distinct()], StringComparer.Ordinal));
    }

    /// <summary>A parent an HTTPRoute attaches to: the route, the order it was read in, the parent's place in its <c>parentRefs</c>.</summary>
    private sealed record Attached(LoadedObject<HttpRouteSpec> Route, int Read, int Index, ParentReference Parent, string Namespace, string ObjectName)
    {
        public ConfigFinding Warning(string field, string problem, string fix) => new(FindingSeverity.Warning, Route.At(field), ObjectName, field, problem, fix);

        public ConfigFinding Error(string field, string problem, string fix) => new(FindingSeverity.Error, Route.At(field), ObjectName, field, problem, fix);
    }

    private static IEnumerable<Attached> Attachments(ConfigurationFiles files) =>
        files.HttpRoutes.SelectMany((loaded, read) => (loaded.Spec.ParentRefs ?? []).Select((parent, index) =>
            new Attached(loaded, read, index, parent, loaded.Document.Namespace ?? files.DefaultNamespace, loaded.Document.Object(files.DefaultNamespace))));

    /// <summary>Each rule of an attached route, as the emulator's routes (one per match; a rule without matches matches every request), with its place in the order.</summary>
    private static IEnumerable<(RouteOrder Order, HttpRoute Route)> Rules(
        Attached attached, string meshNamespace, IReadOnlyDictionary<string, (string Service, Subset Subset)> backends,
        IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> workloads, List<ConfigFinding> findings)
    {
        var rules = attached.Route.Spec.Rules ?? [];
        for (var index = 0; index < rules.Count; index++)
        {
            var rule = rules[index];
            var name = $"{attached.Route.Document.Name}.{rule.Name ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            var (route, prefixRewrite) = Route(rule, $"spec.rules[{index}]", name, attached.Namespace, meshNamespace, backends, workloads, attached.Warning, attached.Error, findings);
            foreach (var match in rule.Matches is { Count: > 0 } matches ? matches : [new HttpRouteMatchSpec()])
            {
                foreach (var expanded in Expand(match, route, prefixRewrite, attached.Read, index))
                {
                    yield return expanded;
                }
            }
        }
    }

    /// <summary>The order of the Gateway API among the rules of all routes of one parent: the match's precedence, then the route read first (a cluster's oldest), then the rule's own order.</summary>
    private readonly record struct RouteOrder(MatchPrecedence Match, int Route, int Rule) : IComparable<RouteOrder>
    {
        public int CompareTo(RouteOrder other) =>
            Match.CompareTo(other.Match) is not 0 and var byMatch ? byMatch
            : Route != other.Route ? Route.CompareTo(other.Route)
            : Rule.CompareTo(other.Rule);
    }

    /// <summary>
    /// A match as the emulator's routes: a path prefix matches by whole segments (<c>/foo</c> is
    /// <c>/foo</c> and <c>/foo/...</c>, not <c>/foobar</c>), so it is an exact and a prefix match, as
    /// Istio writes it; a prefix rewrite then replaces the segments it matched.
    /// </summary>
    private static IEnumerable<(RouteOrder Order, HttpRoute Route)> Expand(HttpRouteMatchSpec match, HttpRoute route, string? prefixRewrite, int routeIndex, int ruleIndex)
    {
        var headers = match.Headers?.ToDictionary(header => header.Name.ToLowerInvariant(), header => Match(header.Type, header.Value));
        var query = match.QueryParams?.ToDictionary(param => param.Name, param => Match(param.Type, param.Value));
        var method = match.Method is { } verb ? StringMatch.Exact(verb) : null;
        HttpMatchRequest Request(StringMatch? uri) => new() { Uri = uri, Headers = headers, QueryParams = query, Method = method };
        var (type, value) = (match.Path?.Type ?? "PathPrefix", match.Path?.Value ?? "/");
        var order = new RouteOrder(MatchPrecedence.Of(match), routeIndex, ruleIndex);
        switch (type)
        {
            case "Exact":
                yield return (order, route with { Match = [Request(StringMatch.Exact(value))], Rewrite = Rewrite(route.Rewrite, prefixRewrite) });
                break;
            case "RegularExpression":
                yield return (order, route with { Match = [Request(StringMatch.Regex(value))], Rewrite = Rewrite(route.Rewrite, prefixRewrite) });
                break;
            default:
                var prefix = value.TrimEnd('/');
                if (prefix.Length == 0)
                {
                    yield return (order, route with { Match = [Request(StringMatch.Prefix("/"))], Rewrite = Rewrite(route.Rewrite, prefixRewrite is null ? null : prefixRewrite.TrimEnd('/') + "/") });
                    break;
                }

                // The path itself becomes the new prefix; below it, the segments after it keep their slash.
                yield return (order, route with { Match = [Request(StringMatch.Exact(prefix))], Rewrite = Rewrite(route.Rewrite, prefixRewrite is null ? null : prefixRewrite.Length == 0 ? "/" : prefixRewrite) });
                yield return (order, route with { Match = [Request(StringMatch.Prefix(prefix + "/"))], Rewrite = Rewrite(route.Rewrite, prefixRewrite is null ? null : prefixRewrite.TrimEnd('/') + "/") });
                break;
        }
    }

    private static HttpRewrite? Rewrite(HttpRewrite? rewrite, string? prefix) => prefix is null ? rewrite : (rewrite ?? new HttpRewrite()) with { Uri = prefix };

    private static StringMatch Match(string? type, string value) => type == "RegularExpression" ? StringMatch.Regex(value) : StringMatch.Exact(value);

    private static (HttpRoute Route, string? PrefixRewrite) Route(
        HttpRouteRuleSpec rule, string field, string name, string objectNamespace, string meshNamespace,
        IReadOnlyDictionary<string, (string Service, Subset Subset)> backends, IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> workloads,
        Func<string, string, string, ConfigFinding> warning, Func<string, string, string, ConfigFinding> error, List<ConfigFinding> findings)
    {
        (Destination Destination, bool Resolved) Backend(HttpBackendRefSpec backend, string at) => GatewayApiImporter.Backend(backend, at, objectNamespace, meshNamespace, backends, workloads, warning, error, findings);

        string? prefixRewrite = null;
        var request = Duration(rule.Timeouts?.Request, $"{field}.timeouts.request", error, findings);
        var backendRequest = Duration(rule.Timeouts?.BackendRequest, $"{field}.timeouts.backendRequest", error, findings);
        if (request is { } whole && backendRequest > whole && whole != TimeSpan.Zero)
        {
            // The CRD's own rule, enforced by the API server.
            findings.Add(error($"{field}.timeouts.backendRequest", $"is longer than timeouts.request ({rule.Timeouts!.Request}); the API server rejects it (backendRequest timeout cannot be longer than request timeout).",
                "make the backend request's timeout at most the request's."));
        }

        if (rule.SessionPersistence is not null)
        {
            findings.Add(warning($"{field}.sessionPersistence", "is kept for the cluster and not emulated locally (each request is balanced on its own).", "nothing to do for the cluster; a DestinationRule's consistentHash is emulated."));
        }

        var result = new HttpRoute
        {
            Name = name,
            Route = [.. (rule.BackendRefs ?? []).Select((backend, index) =>
            {
                var (destination, resolved) = Backend(backend, $"{field}.backendRefs[{index}]");
                return new HttpRouteDestination(destination, backend.Weight ?? 1) { Unresolved = !resolved };
            })],
            Timeout = request,
            Retries = Retries(rule.Retry, backendRequest, $"{field}.retry", warning, error, findings),
        };
        for (var index = 0; index < (rule.Filters?.Count ?? 0); index++)
        {
            var filter = rule.Filters![index];
            var at = $"{field}.filters[{index}]";
            result = filter.Type switch
            {
                "RequestHeaderModifier" => result with { Headers = (result.Headers ?? new Headers()) with { Request = Operations(filter.RequestHeaderModifier) } },
                "ResponseHeaderModifier" => result with { Headers = (result.Headers ?? new Headers()) with { Response = Operations(filter.ResponseHeaderModifier) } },
                "RequestRedirect" when filter.RequestRedirect is { } redirect => result with
                {
                    Route = null,
                    Redirect = new HttpRedirect
                    {
                        Scheme = redirect.Scheme,
                        Authority = redirect.Hostname,
                        Port = redirect.Port,
                        Uri = redirect.Path?.ReplaceFullPath ?? redirect.Path?.ReplacePrefixMatch,
                        RedirectCode = redirect.StatusCode ?? 302,
                    },
                },
                "URLRewrite" when filter.UrlRewrite is { } rewrite => UrlRewrite(result, rewrite),
                "RequestMirror" when filter.RequestMirror is { } mirror => result with
                {
                    Mirror = Backend(mirror.BackendRef, $"{at}.requestMirror.backendRef").Destination,
                    MirrorPercentage = mirror.Percent is { } percent ? percent : mirror.Fraction is { } fraction ? 100.0 * fraction.Numerator / (fraction.Denominator ?? 100) : null,
                },
                _ => Unsupported(result, filter, at),
            };
        }

        return (result, prefixRewrite);

        HttpRoute UrlRewrite(HttpRoute route, HttpUrlRewriteSpec rewrite)
        {
            // A prefix is replaced per match (see Expand); a full path replaces the whole path.
            prefixRewrite = rewrite.Path?.ReplacePrefixMatch;
            return rewrite.Hostname is null && rewrite.Path?.ReplaceFullPath is null ? route : route with
            {
                Rewrite = new HttpRewrite { Authority = rewrite.Hostname, Uri = rewrite.Path?.ReplaceFullPath },
            };
        }

        HttpRoute Unsupported(HttpRoute route, HttpRouteFilterSpec filter, string at)
        {
            findings.Add(warning($"{at}.type", $"'{filter.Type}' is kept for the cluster and not emulated locally.", "nothing to do; the export writes it unchanged."));
            return route;
        }
    }

    /// <summary>
    /// The destination a backend names: a mesh service, or the subset a version Service of the
    /// files makes; anything else is a warning, and unresolved (its share of requests gets 500).
    /// </summary>
    private static (Destination Destination, bool Resolved) Backend(
        HttpBackendRefSpec backend, string at, string objectNamespace, string meshNamespace,
        IReadOnlyDictionary<string, (string Service, Subset Subset)> backends, IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> workloads,
        Func<string, string, string, ConfigFinding> warning, Func<string, string, string, ConfigFinding> error, List<ConfigFinding> findings)
    {
        if (backend.Kind is not (null or "Service") || backend.Group is not (null or "" or "core"))
        {
            findings.Add(warning(at, $"names a {backend.Kind} backend, which the mesh cannot send to; its share of requests fails (a controller sets ResolvedRefs false, InvalidKind).", "name a Service."));
            return (new Destination($"{backend.Kind}/{backend.Name}"), false);
        }

        if (backend.Port is null)
        {
            // The CRD's own rule, enforced by the API server.
            findings.Add(error($"{at}.port", "is missing; the API server rejects a Service backend without its port (Must have port for Service reference).", "add the Service's port, e.g. port: 9080."));
        }

        if ((backend.Namespace ?? objectNamespace) != meshNamespace)
        {
            findings.Add(warning($"{at}.namespace", $"names a Service in namespace '{backend.Namespace}', which needs a ReferenceGrant there and is no service of the app; its share of requests fails.", "name a Service of the app's namespace."));
            return (new Destination($"{backend.Name}.{backend.Namespace}"), false);
        }

        if (workloads.ContainsKey(backend.Name))
        {
            return (new Destination(backend.Name), true);
        }

        if (backends.TryGetValue(backend.Name, out var version))
        {
            return (new Destination(version.Service, version.Subset.Name), true);
        }

        findings.Add(warning($"{at}.name", $"Referenced backend not found: Service \"{backend.Name}\" is no service of the app nor a Service of the files that selects its workloads; its share of requests is answered 500 (a controller sets ResolvedRefs false, BackendNotFound).",
            $"use one of: {string.Join(", ", workloads.Keys.Concat(backends.Keys).Order(StringComparer.Ordinal))}."));
        return (new Destination(backend.Name), false);
    }

    /// <summary>
    /// A rule's retries as Istio gives them: the experimental <c>retry</c> field (attempts, 2 by
    /// default; connection failures and its status codes), each try bounded by
    /// <c>timeouts.backendRequest</c>; without it, a backend request's timeout bounds each of Istio's default retries.
    /// </summary>
    private static HttpRetry? Retries(
        HttpRouteRetrySpec? retry, TimeSpan? backendRequest, string field,
        Func<string, string, string, ConfigFinding> warning, Func<string, string, string, ConfigFinding> error, List<ConfigFinding> findings)
    {
        if (retry is null)
        {
            return backendRequest is { } perTry ? new HttpRetry { Attempts = 2, PerTryTimeout = perTry, RetryOn = HttpRetry.DefaultRetryOn + ",503" } : null;
        }

        foreach (var (code, index) in (retry.Codes ?? []).Select((code, index) => (code, index)).Where(pair => pair.code is < 400 or > 599))
        {
            findings.Add(error($"{field}.codes[{index}]", $"{code} is no status code the Gateway API retries (400 to 599).", "list 5xx or 4xx codes, e.g. 503."));
        }

        if (retry.Backoff is { } backoff)
        {
            findings.Add(warning($"{field}.backoff", $"'{backoff}' is kept for the cluster; locally retries back off as Envoy does by default (25 ms base, fully jittered).", "nothing to do for the cluster."));
        }

        var attempts = retry.Attempts ?? 2;
        return new HttpRetry
        {
            Attempts = attempts,
            PerTryTimeout = backendRequest,
            // Istio's: connection failures always, and the listed codes.
            RetryOn = attempts == 0 ? null : string.Join(",", new[] { "connect-failure", "refused-stream", "unavailable", "cancelled" }.Concat((retry.Codes ?? []).Select(code => code.ToString(System.Globalization.CultureInfo.InvariantCulture)))),
        };
    }

    private static HeaderOperations? Operations(HttpHeaderFilterSpec? filter) => filter is null
        ? null
        : new HeaderOperations
        {
            Set = filter.Set?.ToDictionary(header => header.Name, header => header.Value),
            Add = filter.Add?.ToDictionary(header => header.Name, header => header.Value),
            Remove = filter.Remove,
        };

    private static TimeSpan? Duration(string? text, string field, Func<string, string, string, ConfigFinding> error, List<ConfigFinding> findings)
    {
        if (text is null)
        {
            return null;
        }

        if (MeshDuration.TryParse(text, out var duration))
        {
            return duration;
        }

        findings.Add(error(field, $"'{text}' is not a duration.", "write a Gateway API duration, e.g. 500ms, 10s or 1m."));
        return null;
    }

    /// <summary>
    /// The core Services of the files that select some of one mesh service's workloads, by name:
    /// each a subset of that service (bookinfo's <c>reviews-v1</c>, selecting app reviews and version
    /// v1), a host of its own (whose policy a DestinationRule for it gives).
    /// </summary>
    public static Dictionary<string, (string Service, Subset Subset)> VersionServices(
        ConfigurationFiles files, string meshNamespace, IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> workloads, List<ConfigFinding> findings)
    {
        var versions = new Dictionary<string, (string, Subset)>(StringComparer.Ordinal);
        foreach (var document in files.Carried.Where(document => document is { ApiVersion: "v1", Kind: "Service" } && (document.Namespace ?? files.DefaultNamespace) == meshNamespace))
        {
            if (workloads.ContainsKey(document.Name) || KubernetesYaml.Deserialize<V1Service>(document.Text).Spec?.Selector is not { Count: > 0 } selector)
            {
                continue; // the mesh's own service, or a Service that selects nothing by labels
            }

            var selected = workloads.Where(service => service.Value.Any(labels => selector.All(label => labels.GetValueOrDefault(label.Key) == label.Value))).Select(service => service.Key).ToList();
            if (selected.Count == 1)
            {
                versions[document.Name] = (selected[0], new Subset(document.Name, selector.ToImmutableDictionary()) { VersionService = document.Name });
            }
            else if (selected.Count == 0)
            {
                findings.Add(new ConfigFinding(FindingSeverity.Warning, document.Location, document.Object(meshNamespace), "spec.selector",
                    $"selects no workload of the app ({string.Join(", ", selector.Select(label => $"{label.Key}={label.Value}"))}), so a route to it gets 503 (no healthy upstream).", "correct the selector, or add the workload.", "IST0101"));
            }
        }

        return versions;
    }
}
