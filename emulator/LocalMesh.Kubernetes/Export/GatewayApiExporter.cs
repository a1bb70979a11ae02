using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Kubernetes.Export;

/// <summary>
/// The Gateway API's objects for an app exported with them (<c>WithGatewayApi</c>), wherever they
/// say exactly what the mesh's routes mean: an HTTPRoute attached to each routed service (GAMMA, as
/// Istio's bookinfo <c>gateway-api/</c> files), a Service for each version its rules send to (as
/// bookinfo's <c>reviews-v1</c>), and a Gateway of class <c>istio</c> with an HTTPRoute for each
/// ingress gateway. A service whose routes need what the Gateway API cannot say (fault injection,
/// retry policies, a mirrored share, a caller's labels, ...) keeps its VirtualService, as Istio's
/// fault-injection task does, and the export says why.
/// </summary>
internal static partial class GatewayApiExporter
{
    /// <summary>The limits of the Gateway API's CRDs (standard channel): rules per route, matches per rule, backends per rule.</summary>
    private const int MaxRules = 16, MaxMatches = 64, MaxBackends = 16;

    /// <summary>What the export writes as the Gateway API, and what stays Istio's, with the reason.</summary>
    /// <param name="Services">The services whose routes become an HTTPRoute, with their rules.</param>
    /// <param name="Ingress">The ingress gateways that become a Gateway and an HTTPRoute, with their rules.</param>
    /// <param name="Warnings">Why a service or gateway stays a VirtualService.</param>
    public sealed record Plan(
        ImmutableDictionary<string, ImmutableArray<HttpRouteRuleSpec>> Services,
        ImmutableDictionary<string, ImmutableArray<HttpRouteRuleSpec>> Ingress,
        ImmutableArray<string> Warnings)
    {
        /// <summary>The version Services the rules send to (<c>reviews-v1</c>).</summary>
        public ImmutableHashSet<string> VersionServices { get; } = [.. Services.Values.Concat(Ingress.Values).SelectMany(rules => rules)
            .SelectMany(rule => (rule.BackendRefs ?? []).Concat(rule.Filters?.Select(filter => filter.RequestMirror?.BackendRef).OfType<HttpBackendRefSpec>() ?? []))
            .Select(backend => backend.Name)];

        /// <summary>
        /// <paramref name="model"/> as the other exporters then read it: no VirtualService for the
        /// services the plan routes, and no subsets for them where no VirtualService that stays names one.
        /// </summary>
        public KubernetesAppModel Apply(KubernetesAppModel model)
        {
            var mesh = model.Mesh;
            static IEnumerable<Destination> Destinations(IEnumerable<HttpRoute> routes) => routes.SelectMany(route => route.Route ?? []).Select(destination => destination.Destination);
            var named = mesh.Services.Where(service => !Services.ContainsKey(service.Name))
                .SelectMany(service => Destinations(service.Http).Concat(service.Tcp.SelectMany(route => route.Route ?? []).Select(destination => destination.Destination)))
                .Concat(model.Gateways.Where(gateway => !Ingress.ContainsKey(gateway.Name)).SelectMany(gateway => Destinations(mesh.Services.Single(service => service.Name == gateway.Service).Http)))
                .Concat(mesh.GatewayVirtualServices.SelectMany(virtualService => Destinations(virtualService.Http)))
                .Select(destination => $"{destination.Host}/{destination.Subset}").ToHashSet(StringComparer.Ordinal);
            return model with
            {
                GatewayApiRoutes = model.GatewayApiRoutes.Union(Services.Keys),
                GatewayApiSubsets = model.GatewayApiSubsets.Union(mesh.Services.Where(service => Services.ContainsKey(service.Name))
                    .SelectMany(service => (service.DestinationRule?.Subsets ?? []).Select(subset => $"{service.Name}/{subset.Name}")).Where(subset => !named.Contains(subset))),
                GatewayApiIngress = [.. Ingress.Keys],
            };
        }
    }

    /// <summary>Decides, for each routed service and each ingress gateway of <paramref name="model"/>, whether the Gateway API can say its routes.</summary>
    public static Plan Decide(KubernetesAppModel model)
    {
        var mesh = model.Mesh;
        var services = ImmutableDictionary.CreateBuilder<string, ImmutableArray<HttpRouteRuleSpec>>(StringComparer.Ordinal);
        var ingress = ImmutableDictionary.CreateBuilder<string, ImmutableArray<HttpRouteRuleSpec>>(StringComparer.Ordinal);
        var warnings = new List<string>();
        foreach (var service in mesh.Services.Where(service => !service.Http.IsDefaultOrEmpty && !model.GatewayApiRoutes.Contains(service.Name)))
        {
            var why = new List<string>();
            if (!service.Tcp.IsDefaultOrEmpty)
            {
                why.Add("it also has TCP routes (the Gateway API's TCPRoute is experimental)");
            }

            if (model.SplitDestinationRules.Contains(service.Name))
            {
                why.Add("its DestinationRule is the files' own, split over several objects");
            }

            var rules = Rules(mesh, service.Http, why);
            if (why.Count == 0)
            {
                services[service.Name] = rules;
            }
            else
            {
                warnings.Add($"{service.Name}: its routes stay a VirtualService under WithGatewayApi, because {why[0]}.");
            }
        }

        // The files' own Gateways decide what the ingress gateway serves; the app model's gateways are the export's to write.
        if (!mesh.Gateways.Any(gateway => gateway.SelectsIngressGateway))
        {
            foreach (var gateway in model.Gateways)
            {
                var service = mesh.Services.Single(service => service.Name == gateway.Service);
                var why = new List<string>();
                var routes = service.Http.IsDefaultOrEmpty ? [new HttpRoute { Route = [new HttpRouteDestination(new Destination(service.Name))] }] : service.Http;
                var rules = Rules(mesh, routes, why);
                if (why.Count == 0)
                {
                    ingress[gateway.Name] = rules;
                }
                else
                {
                    warnings.Add($"{gateway.Name}: the ingress stays an Istio Gateway and VirtualService under WithGatewayApi, because {why[0]}.");
                }
            }
        }

        if (services.Count > 0 || ingress.Count > 0)
        {
            warnings.Add("The export's Gateway API objects need the Gateway API's CRDs in the cluster (standard channel, v1.1 or later), which Istio does not install: " +
                "kubectl get crd gateways.gateway.networking.k8s.io || kubectl apply -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.1/standard-install.yaml");
        }

        return new Plan(services.ToImmutable(), ingress.ToImmutable(), [.. warnings]);
    }

    /// <summary>
    /// The HTTPRoute of <paramref name="service"/> (attached to its Service) when the plan routes it,
    /// the Services of its versions the plan's rules send to, and a DestinationRule for each version
    /// Service when the service has a traffic policy (Istio applies a rule by host, and a version
    /// Service is a host of its own).
    /// </summary>
    public static IEnumerable<object> Service(KubernetesAppModel model, MeshServiceConfig service, Plan plan)
    {
        if (plan.Services.TryGetValue(service.Name, out var rules))
        {
            yield return new GatewayApiHttpRoute
            {
                // Named as the VirtualService it replaces would be.
                Metadata = CoreExporter.Meta(model, service.VirtualService?.Name ?? service.Name),
                Spec = new HttpRouteSpec
                {
                    ParentRefs = [new ParentReference { Group = "", Kind = "Service", Name = service.Name, Port = service.Port }],
                    Rules = [.. rules],
                },
            };
        }

        foreach (var subset in (service.DestinationRule?.Subsets ?? []).Where(subset => plan.VersionServices.Contains(VersionService(service.Name, subset.Name))))
        {
            var name = VersionService(service.Name, subset.Name);
            yield return new V1Service
            {
                ApiVersion = "v1",
                Kind = "Service",
                Metadata = CoreExporter.Meta(model, name, new Dictionary<string, string> { ["app"] = service.Name, ["version"] = subset.Name }),
                Spec = new V1ServiceSpec
                {
                    Selector = new Dictionary<string, string> { ["app"] = service.Name }.Concat(subset.Labels.Where(label => label.Key != "app")).ToDictionary(),
                    Ports =
                    [
                        new V1ServicePort
                        {
                            Name = CoreExporter.PortName(service.Protocol),
                            AppProtocol = CoreExporter.PortName(service.Protocol),
                            Port = service.Port,
                            TargetPort = CoreExporter.ContainerPortName(service.Protocol),
                            Protocol = "TCP",
                        },
                    ],
                },
            };
            if (IstioExporter.Policy(model, service.DestinationRule?.TrafficPolicy) is { } policy)
            {
                yield return new IstioDestinationRule
                {
                    Metadata = CoreExporter.Meta(model, name),
                    Spec = new DestinationRuleSpec { Host = name, TrafficPolicy = policy },
                };
            }
        }
    }

    /// <summary>
    /// The Gateway API's Gateway (class <c>istio</c>, bound to Istio's ingress gateway deployment, as
    /// the app model's gateways are) and its HTTPRoute, for each ingress gateway the plan writes.
    /// </summary>
    public static IEnumerable<object> Ingress(KubernetesAppModel model, Plan plan)
    {
        foreach (var gateway in model.Gateways.Where(gateway => plan.Ingress.ContainsKey(gateway.Name)))
        {
            var rules = plan.Ingress[gateway.Name];
            yield return new GatewayApiGateway
            {
                Metadata = CoreExporter.Meta(model, gateway.Name),
                Spec = new GatewayApiGatewaySpec
                {
                    GatewayClassName = "istio",
                    // Istio's "manual deployment": the Gateway is served by the ingress gateway the platform installs
                    // (and a kind cluster's port 80 reaches), not by a deployment of its own.
                    Addresses = [new GatewayAddressSpec { Type = "Hostname", Value = $"istio-ingressgateway.{IstioExporter.RootNamespace}.svc.cluster.local" }],
                    Listeners =
                    [
                        new GatewayListenerSpec
                        {
                            Name = "http",
                            Hostname = gateway.Host == "*" ? null : gateway.Host,
                            Port = 80,
                            Protocol = "HTTP",
                            AllowedRoutes = new AllowedRoutesSpec { Namespaces = new RouteNamespacesSpec { From = "Same" } },
                        },
                    ],
                },
            };
            yield return new GatewayApiHttpRoute
            {
                Metadata = CoreExporter.Meta(model, $"{gateway.Name}-{gateway.Service}"),
                Spec = new HttpRouteSpec
                {
                    ParentRefs = [new ParentReference { Name = gateway.Name }],
                    Hostnames = gateway.Host == "*" ? null : [gateway.Host],
                    Rules = [.. rules],
                },
            };
        }
    }

    /// <summary>The name of the Service that stands for <paramref name="subset"/> of <paramref name="service"/>: bookinfo's <c>reviews-v1</c>.</summary>
    public static string VersionService(string service, string subset) => $"{service}-{subset}";

    /// <summary>
    /// <paramref name="routes"/> as HTTPRoute rules, one a route; what the Gateway API cannot say is
    /// added to <paramref name="why"/>. The Gateway API orders rules by their matches (an exact path,
    /// the longest prefix, ...) where a VirtualService tries them in order, so the rules must already
    /// be in the Gateway API's order for the two to mean the same.
    /// </summary>
    private static ImmutableArray<HttpRouteRuleSpec> Rules(MeshConfig mesh, ImmutableArray<HttpRoute> routes, List<string> why)
    {
        if (routes.Length > MaxRules)
        {
            why.Add($"it has {routes.Length} routes (an HTTPRoute has at most {MaxRules} rules)");
        }

        var rules = routes.Select(route => Rule(mesh, route, why)).ToImmutableArray();
        var latest = (MatchPrecedence?)null;
        for (var index = 0; index < rules.Length && why.Count == 0; index++)
        {
            var precedences = (rules[index].Matches is { Count: > 0 } matches ? matches : [new HttpRouteMatchSpec()]).Select(MatchPrecedence.Of).ToList();
            if (latest is { } before && precedences.Min().CompareTo(before) < 0)
            {
                why.Add($"route '{routes[index].Name ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture)}' comes after a route the Gateway API would try after it " +
                    "(it orders rules by their matches: an exact path, then the longest prefix, then method, headers and query parameters)");
            }

            latest = latest is { } seen && seen.CompareTo(precedences.Max()) > 0 ? seen : precedences.Max();
        }

        return rules;
    }

    private static HttpRouteRuleSpec Rule(MeshConfig mesh, HttpRoute route, List<string> why)
    {
        var name = route.Name is null ? "a route" : $"route '{route.Name}'";
        if (route.Fault is not null)
        {
            why.Add($"{name} injects faults (the Gateway API has no fault injection)");
        }

        if (route.Match is { Count: > MaxMatches })
        {
            why.Add($"{name} has {route.Match.Count} matches (a rule has at most {MaxMatches})");
        }

        var filters = new List<HttpRouteFilterSpec>();
        if (Modifier(route.Headers?.Request) is { } request)
        {
            filters.Add(new HttpRouteFilterSpec { Type = "RequestHeaderModifier", RequestHeaderModifier = request });
        }

        if (Modifier(route.Headers?.Response) is { } response)
        {
            filters.Add(new HttpRouteFilterSpec { Type = "ResponseHeaderModifier", ResponseHeaderModifier = response });
        }

        if (route.Redirect is { } redirect)
        {
            if (redirect.RedirectCode is not (301 or 302))
            {
                why.Add($"{name} redirects with {redirect.RedirectCode} (the Gateway API's redirects are 301 or 302)");
            }

            filters.Add(new HttpRouteFilterSpec
            {
                Type = "RequestRedirect",
                RequestRedirect = new HttpRequestRedirectSpec
                {
                    Scheme = redirect.Scheme,
                    Hostname = redirect.Authority,
                    Port = redirect.Port,
                    Path = redirect.Uri is { } uri ? new HttpPathModifierSpec { Type = "ReplaceFullPath", ReplaceFullPath = uri } : null,
                    StatusCode = redirect.RedirectCode,
                },
            });
        }

        if (route.Rewrite is { } rewrite)
        {
            // Istio replaces the matched prefix character for character, the Gateway API whole segments: only a full path is the same in both.
            if (rewrite.Uri is not null && (route.Match is not { Count: > 0 } || route.Match.Any(match => match.Uri?.Kind != StringMatchKind.Exact)))
            {
                why.Add($"{name} rewrites the path of a match that is not an exact path (the Gateway API's prefix rewrite replaces whole segments, Istio's characters)");
            }

            filters.Add(new HttpRouteFilterSpec
            {
                Type = "URLRewrite",
                UrlRewrite = new HttpUrlRewriteSpec
                {
                    Hostname = rewrite.Authority,
                    Path = rewrite.Uri is { } uri ? new HttpPathModifierSpec { Type = "ReplaceFullPath", ReplaceFullPath = uri } : null,
                },
            });
        }

        if (route.Mirror is { } mirror)
        {
            if (route.MirrorPercentage is not (null or 100))
            {
                why.Add($"{name} mirrors {route.MirrorPercentage}% of its requests (the Gateway API's mirror percentage is experimental)");
            }

            filters.Add(new HttpRouteFilterSpec { Type = "RequestMirror", RequestMirror = new HttpRequestMirrorSpec { BackendRef = Backend(mesh, mirror, name, why) } });
        }

        var timeouts = new HttpRouteTimeoutsSpec { Request = route.Timeout is { } timeout ? Duration(timeout, name, why) : null };
        if (route.Retries is { } retries)
        {
            // Istio's default retries with a try's timeout are what timeouts.backendRequest means; any other policy is the experimental retry field's.
            if (retries is { Attempts: 2, RetryOn: HttpRetry.DefaultRetryOn + ",503", RetryRemoteLocalities: null or false, PerTryTimeout: { } perTry }
                && (route.Timeout is null || perTry <= route.Timeout))
            {
                timeouts.BackendRequest = Duration(perTry, name, why);
            }
            else
            {
                why.Add($"{name} sets a retry policy (the Gateway API's retry field is experimental)");
            }
        }

        var destinations = route.Route ?? [];
        if (destinations.Count > MaxBackends)
        {
            why.Add($"{name} has {destinations.Count} destinations (a rule has at most {MaxBackends} backends)");
        }

        return new HttpRouteRuleSpec
        {
            Matches = route.Match?.Select(match => Match(match, name, why)).ToList(),
            Filters = filters.Count > 0 ? filters : null,
            BackendRefs = destinations.Count == 0 ? null : [.. destinations.Select(destination =>
            {
                var backend = Backend(mesh, destination.Destination, name, why);
                backend.Weight = destinations.Count > 1 ? destination.Weight ?? 1 : null;
                var own = new[]
                {
                    Modifier(destination.Headers?.Request) is { } set ? new HttpRouteFilterSpec { Type = "RequestHeaderModifier", RequestHeaderModifier = set } : null,
                    Modifier(destination.Headers?.Response) is { } back ? new HttpRouteFilterSpec { Type = "ResponseHeaderModifier", ResponseHeaderModifier = back } : null,
                }.OfType<HttpRouteFilterSpec>().ToList();
                backend.Filters = own.Count > 0 ? own : null;
                return backend;
            })],
            Timeouts = timeouts.Request is null && timeouts.BackendRequest is null ? null : timeouts,
        };
    }

    private static HttpRouteMatchSpec Match(HttpMatchRequest match, string name, List<string> why)
    {
        if (match.Scheme is not null || match.Authority is not null || match.Port is not null)
        {
            why.Add($"{name} matches a scheme, an authority or a port (the Gateway API matches paths, headers, query parameters and methods)");
        }

        if (match.WithoutHeaders is { Count: > 0 } || match.IgnoreUriCase)
        {
            why.Add($"{name} matches without headers or ignoring the path's case (the Gateway API has neither)");
        }

        if (match.SourceLabels is { Count: > 0 })
        {
            why.Add($"{name} matches its callers' labels (the Gateway API has no match on the caller)");
        }

        return new HttpRouteMatchSpec
        {
            Path = match.Uri switch
            {
                null => null,
                { Kind: StringMatchKind.Exact } exact => new HttpPathMatchSpec { Type = "Exact", Value = exact.Value },
                // Istio's prefix is a string prefix, the Gateway API's PathPrefix whole segments: only "/" is both.
                { Kind: StringMatchKind.Prefix, Value: "/" } => new HttpPathMatchSpec { Type = "PathPrefix", Value = "/" },
                { Kind: StringMatchKind.Prefix } prefix => new HttpPathMatchSpec { Type = "RegularExpression", Value = Re2Literal(prefix.Value) + ".*" },
                var other => new HttpPathMatchSpec { Type = "RegularExpression", Value = other.Value },
            },
            Headers = match.Headers?.Select(header => Value(header.Key, header.Value, allowEmpty: true)).ToList(),
            QueryParams = match.QueryParams?.Select(param => Value(param.Key, param.Value, allowEmpty: false)).ToList(),
            Method = match.Method switch
            {
                null => null,
                { Kind: StringMatchKind.Exact, Value: "GET" or "HEAD" or "POST" or "PUT" or "DELETE" or "CONNECT" or "OPTIONS" or "TRACE" or "PATCH" } method => method.Value,
                _ => Unsaid($"{name} matches a method by {match.Method.Kind} (the Gateway API names one method)"),
            },
        };

        HttpHeaderMatchSpec Value(string key, StringMatch value, bool allowEmpty) => value.Kind switch
        {
            StringMatchKind.Exact when value.Value.Length > 0 || allowEmpty => new HttpHeaderMatchSpec { Type = "Exact", Name = key, Value = value.Value },
            StringMatchKind.Exact => new HttpHeaderMatchSpec { Type = "Exact", Name = key, Value = Unsaid($"{name} matches query parameter '{key}' with no value (the Gateway API's values are never empty)") ?? "" },
            StringMatchKind.Prefix => new HttpHeaderMatchSpec { Type = "RegularExpression", Name = key, Value = Re2Literal(value.Value) + ".*" },
            StringMatchKind.Regex => new HttpHeaderMatchSpec { Type = "RegularExpression", Name = key, Value = value.Value },
            // Presence: any value.
            _ => new HttpHeaderMatchSpec { Type = "RegularExpression", Name = key, Value = ".*" },
        };

        string? Unsaid(string reason)
        {
            why.Add(reason);
            return null;
        }
    }

    private static HttpBackendRefSpec Backend(MeshConfig mesh, Destination destination, string name, List<string> why)
    {
        if (mesh.Services.FirstOrDefault(service => service.Name == destination.Host) is not { } target)
        {
            why.Add($"{name} sends to '{destination.Host}', no service of the app");
            return new HttpBackendRefSpec { Name = destination.Host };
        }

        var backend = destination.Subset is { } subset ? VersionService(target.Name, subset) : target.Name;
        if (!KubernetesNames.IsValidDnsLabel(backend))
        {
            why.Add($"{name} sends to subset '{destination.Subset}' of {target.Name}, whose version Service would be named '{backend}', no valid Service name");
        }
        else if (destination.Subset is not null && target.DestinationRule?.Subsets?.FirstOrDefault(subset => subset.Name == destination.Subset) is not { TrafficPolicy: null })
        {
            // A version Service carries the service's policy; a subset's own would need a rule of its own.
            why.Add($"{name} sends to subset '{destination.Subset}' of {target.Name}, which is not declared or has a traffic policy of its own");
        }

        return new HttpBackendRefSpec { Name = backend, Port = destination.Port ?? target.Port };
    }

    private static HttpHeaderFilterSpec? Modifier(HeaderOperations? operations) =>
        operations is null || (operations.Set is not { Count: > 0 } && operations.Add is not { Count: > 0 } && operations.Remove is not { Count: > 0 })
            ? null
            : new HttpHeaderFilterSpec
            {
                Set = operations.Set?.Select(header => new HttpHeaderSpec { Name = header.Key, Value = header.Value }).ToList(),
                Add = operations.Add?.Select(header => new HttpHeaderSpec { Name = header.Key, Value = header.Value }).ToList(),
                Remove = operations.Remove is { Count: > 0 } remove ? [.. remove] : null,
            };

    /// <summary>A duration as the Gateway API writes one (<c>500ms</c>, <c>2s</c>: at most five digits a unit).</summary>
    private static string? Duration(TimeSpan duration, string name, List<string> why)
    {
        var text = MeshDuration.Format(duration);
        if (GatewayDuration().IsMatch(text))
        {
            return text;
        }

        why.Add($"{name} has a duration of {text}, which the Gateway API cannot write (whole milliseconds, at most 99999 of a unit)");
        return null;
    }

    /// <summary><paramref name="text"/> as an RE2 regular expression that matches exactly it.</summary>
    private static string Re2Literal(string text)
    {
        var literal = new StringBuilder(text.Length);
        foreach (var character in text)
        {
            if (@"\.+*?()|[]{}^$".Contains(character, StringComparison.Ordinal))
            {
                literal.Append('\\');
            }

            literal.Append(character);
        }

        return literal.ToString();
    }

    [GeneratedRegex("^([0-9]{1,5}(h|m|s|ms)){1,4}$")]
    private static partial Regex GatewayDuration();
}
