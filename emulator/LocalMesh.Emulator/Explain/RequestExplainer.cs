using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.Security;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Explain;

/// <summary>A request to explain: who sends it and what it looks like.</summary>
/// <param name="Caller">
/// The calling workload (e.g. <c>productpage-v1</c>), an ingress gateway's listener workload (e.g.
/// <c>ingress</c>), or <c>null</c> for a caller outside the mesh.
/// </param>
/// <param name="Host">The authority: a service (<c>reviews</c>, <c>reviews.default</c>, <c>reviews.default.svc.cluster.local:9080</c>), or for a gateway any host.</param>
/// <param name="Path">The path and query, e.g. <c>/reviews/0?user=jason</c>.</param>
internal sealed record ExplainRequest(string? Caller, string Host, string Path)
{
    /// <summary>The method.</summary>
    public string Method { get; init; } = "GET";

    /// <summary>Request headers (names in any case).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = ImmutableDictionary<string, string>.Empty;
}

/// <summary>One finding of an explanation, e.g. (<c>route</c>, <c>http[0] 'jason' does not match: ...</c>).</summary>
/// <param name="Topic">What it is about: caller, service, route, fault, destination, timeout, retries, load balancer, mTLS, authorization.</param>
/// <param name="Text">What the mesh would do, and why.</param>
internal sealed record ExplanationStep(string Topic, string Text);

/// <summary>What the mesh would do with a request, step by step, as Istio's <c>istioctl x describe</c> and traffic simulation tell it.</summary>
/// <param name="Steps">The steps, in the order the sidecars take them.</param>
internal sealed record RequestExplanation(IReadOnlyList<ExplanationStep> Steps)
{
    /// <summary>The route that matched (<c>http[1] 'everyone-else'</c>), or null when none did (404, NR).</summary>
    public string? Route { get; init; }

    /// <summary>Each destination cluster with its share in percent, e.g. <c>reviews/v2</c> → 100.</summary>
    public IReadOnlyDictionary<string, double> Destinations { get; init; } = ImmutableDictionary<string, double>.Empty;

    /// <summary>Whether every workload it may reach would let it in (authorization and mTLS).</summary>
    public bool? Allowed { get; init; }

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, Steps.Select(step => $"{step.Topic,-14} {step.Text}"));
}

/// <summary>
/// Explains a request without sending it: which VirtualService route matches and why the earlier
/// ones do not, the destinations and their weights, the fault, timeout and retries in force, the
/// load balancer, the mTLS mode between the two sidecars and the AuthorizationPolicy decision. It
/// uses the data plane's own compiled routes, matchers and policy evaluator, so it cannot disagree
/// with what a request would meet.
/// </summary>
internal static class RequestExplainer
{
    private const string ClusterDomain = ".svc.cluster.local";

    /// <summary>Explains <paramref name="request"/> against <paramref name="config"/>.</summary>
    /// <param name="config">The mesh configuration (validated).</param>
    /// <param name="request">The request.</param>
    /// <param name="sourceOf">Where a rule came from, for a service (or <c>virtualservice/&lt;name&gt;</c>) and a field (<c>http[0]</c>); null when written in C#.</param>
    public static RequestExplanation Explain(MeshConfig config, ExplainRequest request, Func<string, string, string?>? sourceOf = null)
    {
        var steps = new List<ExplanationStep>();
        void Say(string topic, string text) => steps.Add(new ExplanationStep(topic, text));
        string From(string rules, string field) => sourceOf?.Invoke(rules, field) is { } source ? $" ({source})" : "";

        var workloads = config.Workloads.ToDictionary(workload => workload.Name, StringComparer.Ordinal);
        // Every replica the configuration declares is an endpoint: the explanation is about the rules, not about who is up.
        var endpoints = config.Services.ToDictionary(service => service.Name, service => config.Workloads
            .Where(workload => workload.Service == service.Name)
            .SelectMany(workload => Enumerable.Range(0, Math.Max(1, workload.Replicas)).Select(replica =>
                new UpstreamEndpoint(workload.Name, replica, workload.Labels, new Uri("http://127.0.0.1/")) { SpiffeId = config.SpiffeIdOf(workload) }))
            .ToImmutableArray());
        var (routes, clusters) = RouteCompiler.Compile(config, endpoints);

        // A gateway with a port per exposed service (an app's external endpoints) is asked on the port of the service named.
        var gateway = config.Listeners.Where(listener => listener.Kind == ListenerKind.Ingress && listener.Workload == request.Caller)
            .OrderByDescending(listener => listener.Destination == Resolve(request.Host, config))
            .FirstOrDefault();
        var caller = request.Caller is { } name && workloads.TryGetValue(name, out var workload) ? workload : null;
        if (request.Caller is not null && caller is null && gateway is null)
        {
            throw new ArgumentException($"'{request.Caller}' is no workload or ingress gateway of the mesh; name one of: {string.Join(", ", workloads.Keys.Concat(config.Listeners.Where(l => l.Kind == ListenerKind.Ingress).Select(l => l.Workload!)).Distinct().Order(StringComparer.Ordinal))}.");
        }

        var http = Request(request);
        RouteTable? table;
        string rulesName;
        if (gateway is not null)
        {
            var gatewayRoutes = RouteCompiler.CompileGateways(config, clusters).GetValueOrDefault(gateway.Name);
            Say("caller", $"ingress gateway '{gateway.Workload}' (spiffe://{SpiffeId.Principal(SpiffeId.For(config.TrustDomain, config.Namespace, gateway.Workload!))})");
            if (gatewayRoutes is not null)
            {
                table = gatewayRoutes.For(http.Host.Host);
                var bound = config.Gateways.Where(g => g.SelectsIngressGateway).Select(g => g.FullName(config.Namespace));
                Say("gateway", table is null
                    ? $"Gateway {string.Join(", ", bound)} serves no host '{http.Host.Host}': 404 (NR)."
                    : $"Gateway {string.Join(", ", bound)}: virtual host '{table.Service}' serves '{http.Host.Host}'.");
                rulesName = table is null ? "" : $"virtualservice/{config.GatewayVirtualServices.FirstOrDefault(vs => vs.Hosts.Contains(table.Service))?.Name}";
            }
            else
            {
                table = gateway.Destination is null ? null : routes[gateway.Destination];
                Say("gateway", table is null ? "routes nothing: 404 (NR)." : $"no Gateway selects it, so it routes everything to '{gateway.Destination}' by that service's routes.");
                rulesName = gateway.Destination ?? "";
            }
        }
        else
        {
            Say("caller", caller is null
                ? "outside the mesh (no sidecar): the service's own address; no identity, so plaintext"
                : $"{caller.Name} (spiffe://{SpiffeId.Principal(config.SpiffeIdOf(caller))}), through its outbound sidecar");
            var service = Resolve(request.Host, config);
            if (service is null)
            {
                Say("service", $"'{request.Host}' is no service of the mesh (services: {string.Join(", ", config.Services.Select(s => s.Name).Order(StringComparer.Ordinal))}).");
                return new RequestExplanation(steps);
            }

            table = routes[service];
            rulesName = service;
            var declared = config.Services.Single(s => s.Name == service);
            Say("service", $"{service}.{config.Namespace}{ClusterDomain}:{declared.Port}{(declared.Http.IsDefaultOrEmpty ? " — no VirtualService: every request to all of its endpoints" : "")}");
        }

        if (table is null)
        {
            return new RequestExplanation(steps);
        }

        var sourceLabels = caller?.Labels ?? (IReadOnlyDictionary<string, string>)ImmutableDictionary<string, string>.Empty;
        var context = new MatchContext(sourceLabels, table.Port);
        CompiledRoute? matched = null;
        for (var index = 0; index < table.Routes.Length && matched is null; index++)
        {
            var route = table.Routes[index];
            var label = $"http[{index}]{(route.Config.Name is { } routeName ? $" '{routeName}'" : "")}{From(rulesName, $"http[{index}]")}";
            if (route.Matchers.Count == 0)
            {
                Say("route", $"{label} matches: it has no conditions (the catch-all).");
                matched = route;
                continue;
            }

            var reasons = new List<string>();
            foreach (var (matcher, entry) in route.Matchers.Select((matcher, entry) => (matcher, entry)))
            {
                var failing = matcher.FirstFailing(http, context, out var what);
                if (failing == MatchCondition.None)
                {
                    Say("route", $"{label} matches by match[{entry}]{(matcher.Name is { } matchName ? $" '{matchName}'" : "")}: {Conditions(matcher.Config)}.");
                    matched = route;
                    break;
                }

                reasons.Add($"match[{entry}]: {Why(failing, what, matcher.Config, http, sourceLabels, table.Port)}");
            }

            if (matched is null)
            {
                Say("route", $"{label} does not match — {string.Join("; ", reasons)}.");
            }
        }

        if (matched is null)
        {
            Say("route", "no route matches: 404 (NR), as Envoy answers.");
            return new RequestExplanation(steps);
        }

        var chosen = matched.Config;
        var routeLabel = $"http[{table.Routes.IndexOf(matched)}]{(chosen.Name is { } n ? $" '{n}'" : "")}";
        if (chosen.Redirect is { } redirect)
        {
            Say("redirect", $"{redirect.RedirectCode} to {redirect.Scheme ?? http.Scheme}://{redirect.Authority ?? http.Host.Value}{redirect.Uri ?? http.Path.Value}; the request goes no further.");
            return new RequestExplanation(steps) { Route = routeLabel };
        }

        if (chosen.Rewrite is { } rewrite)
        {
            Say("rewrite", $"{(rewrite.Uri is null ? "" : $"path to {rewrite.Uri}")}{(rewrite.Uri is not null && rewrite.Authority is not null ? ", " : "")}{(rewrite.Authority is null ? "" : $"authority to {rewrite.Authority}")}.");
        }

        Say("fault", chosen.Fault is { } fault
            ? string.Join("; ", new[]
            {
                fault.Delay is { } delay ? $"delay {MeshDuration.Format(delay.FixedDelay)} for {Percent(delay.Percentage)} of requests (flag DI)" : null,
                fault.Abort is { } abort ? $"abort with {(abort.GrpcStatus is { } grpc ? $"gRPC {grpc}" : abort.HttpStatus.ToString(CultureInfo.InvariantCulture))} for {Percent(abort.Percentage)} of requests (flag FI)" : null,
            }.OfType<string>()) + "; a route with a fault gets no timeout and no retries, as in Istio."
            : "none.");

        var total = matched.Destinations.Sum(destination => destination.Weight);
        var shares = matched.Destinations.Where(destination => destination.Weight > 0)
            .ToDictionary(destination => destination.Cluster.Subset is null ? destination.Cluster.Host : $"{destination.Cluster.Host}/{destination.Cluster.Subset}", destination => 100.0 * destination.Weight / total);
        foreach (var destination in matched.Destinations)
        {
            var cluster = destination.Cluster;
            var key = cluster.Subset is null ? cluster.Host : $"{cluster.Host}/{cluster.Subset}";
            var share = total == 0 ? 0 : 100.0 * destination.Weight / total;
            Say("destination", $"{key}: {share:0.#}% (weight {destination.Weight} of {total}); " + (!cluster.Exists
                ? destination.Destination.Unresolved
                    ? "the Gateway API backend resolves to nothing, so requests sent to it get 500, as the specification says."
                    : $"{(cluster.Subset is null ? "no service of the app has that host" : "no DestinationRule of the app declares that subset")}, so requests sent to it get 503 (NC, cluster not found), as in a cluster without it."
                : cluster.Endpoints.IsEmpty
                ? "it selects no workload, so requests sent to it get 503 (UH, no healthy upstream)."
                : $"endpoints {string.Join(", ", cluster.Endpoints.Select(endpoint => endpoint.Name))}; load balancer {Balancer(cluster.LoadBalancer)}."));
        }

        if (matched.Mirror is { } mirror)
        {
            Say("mirror", $"a copy of {Percent(matched.MirrorPercentage)} of requests to {mirror.Host}{(mirror.Subset is null ? "" : $"/{mirror.Subset}")}, its answer ignored.");
        }

        Say("timeout", matched.Timeout is { } timeout ? $"{MeshDuration.Format(timeout)} for the whole request, retries included (504, UT)." : "none (Istio sets no route timeout by default).");
        var retry = matched.Retry;
        Say("retries", retry.Attempts == 0
            ? "none."
            : $"up to {retry.Attempts} on {retry.RetryOn}{(retry.PerTryTimeout is { } perTry ? $", {MeshDuration.Format(perTry)} per try" : "")}{(chosen.Retries is null && chosen.Fault is null ? " (Istio's default)" : "")}.");
        foreach (var cluster in matched.Destinations.Select(destination => destination.Cluster).Where(cluster => cluster.ConnectionPool is not null || cluster.OutlierDetection is not null).DistinctBy(cluster => cluster.Name))
        {
            Say("circuit", $"{cluster.Name}: {(cluster.ConnectionPool is null ? "" : "connection pool limits (overflow answers 503, UO)")}{(cluster.ConnectionPool is not null && cluster.OutlierDetection is not null ? "; " : "")}{(cluster.OutlierDetection is null ? "" : "outlier detection ejects failing endpoints")}.");
        }

        bool? allowed = true;
        var principal = caller is not null ? SpiffeId.Principal(config.SpiffeIdOf(caller))
            : gateway is not null ? SpiffeId.Principal(SpiffeId.For(config.TrustDomain, config.Namespace, gateway.Workload!))
            : null;
        foreach (var target in matched.Destinations.Where(destination => destination.Weight > 0).SelectMany(destination => destination.Cluster.Endpoints)
            .Select(endpoint => workloads[endpoint.Workload]).Distinct())
        {
            var port = config.Services.FirstOrDefault(s => s.Name == target.Service)?.Port ?? MeshServiceConfig.DefaultPort;
            var mode = config.MutualTlsModeOf(target, port);
            var mutual = principal is not null && mode != MutualTlsMode.Disable;
            Say("mTLS", $"{target.Name}: {mode.ToString().ToUpperInvariant()}; " + (mutual
                ? $"the sidecars speak mutual TLS, {target.Name} presents spiffe://{SpiffeId.Principal(config.SpiffeIdOf(target))}."
                : mode == MutualTlsMode.Strict ? "a caller without a sidecar speaks plaintext, which STRICT refuses at the connection." : "plaintext."));
            if (!mutual && mode == MutualTlsMode.Strict)
            {
                allowed = false;
                continue;
            }

            var policies = config.AuthorizationPoliciesOf(target).ToList();
            if (policies.Count == 0)
            {
                Say("authorization", $"{target.Name}: no AuthorizationPolicy applies: allowed.");
                continue;
            }

            var decision = AuthorizationEvaluator.Evaluate(policies, new AuthorizationRequest(mutual ? principal : null, IPAddress.Loopback, port, http));
            var policy = policies.FirstOrDefault(p => p.Name == decision.Policy);
            var decidedBy = policy is null ? "" : $"{policy.Action.ToString().ToUpperInvariant()} policy {policy.Namespace ?? "(mesh)"}/{policy.Name}{From($"authorizationpolicy/{policy.Name}", "")}";
            Say("authorization", $"{target.Name}: {(decision.Allowed ? "allowed" : "denied, 403 'RBAC: access denied'")}" + (decision.Rule is { } rule
                ? $", by rule {rule} of {decidedBy}."
                : decision.Allowed ? "." : $": no rule of {decidedBy} matches (an ALLOW policy applies, so what none allows is denied)."));
            allowed &= decision.Allowed;
        }

        return new RequestExplanation(steps) { Route = routeLabel, Destinations = shares, Allowed = allowed };
    }

    /// <summary>The mesh service a host names: <c>name</c>, <c>name.namespace</c> or <c>name.namespace.svc.cluster.local</c>, with or without a port.</summary>
    private static string? Resolve(string host, MeshConfig config)
    {
        var name = host.Split(':')[0];
        foreach (var suffix in new[] { $".{config.Namespace}{ClusterDomain}", $".{config.Namespace}", "" })
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && config.Services.FirstOrDefault(s => s.Name.Equals(name[..^suffix.Length], StringComparison.OrdinalIgnoreCase)) is { } service)
            {
                return service.Name;
            }
        }

        return null;
    }

    private static HttpRequest Request(ExplainRequest request)
    {
        var context = new DefaultHttpContext();
        var http = context.Request;
        http.Method = request.Method.ToUpperInvariant();
        http.Scheme = "http";
        http.Host = new HostString(request.Host);
        var query = request.Path.IndexOf('?');
        http.Path = new PathString(query < 0 ? request.Path : request.Path[..query]);
        http.QueryString = query < 0 ? QueryString.Empty : new QueryString(request.Path[query..]);
        foreach (var (name, value) in request.Headers)
        {
            http.Headers[name.ToLowerInvariant()] = value;
        }

        return http;
    }

    private static string Why(MatchCondition condition, string? name, HttpMatchRequest match, HttpRequest request, IReadOnlyDictionary<string, string> sourceLabels, int port) => condition switch
    {
        MatchCondition.Uri => $"path {request.Path.Value} is not uri {match.Uri}",
        MatchCondition.Scheme => $"scheme {request.Scheme} is not {match.Scheme}",
        MatchCondition.Method => $"method {request.Method} is not {match.Method}",
        MatchCondition.Authority => $"authority {request.Host.Value} is not {match.Authority}",
        MatchCondition.Port => $"port {port} is not {match.Port}",
        MatchCondition.Header => request.Headers.TryGetValue(name!, out var value)
            ? $"header {name}: '{value}' is not {match.Headers!.First(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value}"
            : $"header {name} is absent (wants {match.Headers!.First(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value})",
        MatchCondition.WithoutHeader => $"header {name} is present, which withoutHeaders excludes",
        MatchCondition.QueryParam => request.Query.TryGetValue(name!, out var parameter)
            ? $"query parameter {name}: '{parameter}' is not {match.QueryParams![name!]}"
            : $"query parameter {name} is absent",
        MatchCondition.SourceLabel => $"the caller's label {name} is {(sourceLabels.TryGetValue(name!, out var label) ? $"'{label}'" : "absent")}, not '{match.SourceLabels![name!]}'",
        _ => "matches",
    };

    private static string Conditions(HttpMatchRequest match)
    {
        var conditions = new List<string>();
        void Add(string what, object? value)
        {
            if (value is not null)
            {
                conditions.Add($"{what} {value}");
            }
        }

        Add("uri", match.Uri);
        Add("scheme", match.Scheme);
        Add("method", match.Method);
        Add("authority", match.Authority);
        Add("port", match.Port);
        foreach (var (name, value) in match.Headers ?? ImmutableDictionary<string, StringMatch>.Empty)
        {
            Add($"header {name}", value);
        }

        foreach (var (name, value) in match.QueryParams ?? ImmutableDictionary<string, StringMatch>.Empty)
        {
            Add($"query {name}", value);
        }

        foreach (var name in (match.WithoutHeaders ?? ImmutableDictionary<string, StringMatch>.Empty).Keys)
        {
            conditions.Add($"no header {name}");
        }

        foreach (var (key, value) in match.SourceLabels ?? ImmutableDictionary<string, string>.Empty)
        {
            conditions.Add($"caller label {key}={value}");
        }

        return conditions.Count == 0 ? "no conditions" : string.Join(", ", conditions);
    }

    private static string Balancer(LoadBalancerSettings settings) => settings.ConsistentHash is { } hash
        ? $"consistent hash on {(hash.HttpHeaderName is { } header ? $"header {header}" : hash.HttpCookie is { } cookie ? $"cookie {cookie.Name}" : hash.HttpQueryParameterName is { } query ? $"query parameter {query}" : "the source IP")}"
        : settings.Simple!.Value.ToIstioName();

    private static string Percent(double? percentage) => percentage is { } value ? $"{value:0.##}%" : "no percentage set, so 0%";
}
