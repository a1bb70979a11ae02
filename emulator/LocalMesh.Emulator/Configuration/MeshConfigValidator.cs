using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>One problem in a mesh configuration: where it is, what is wrong, how to fix it.</summary>
/// <param name="Resource">The service (or workload) the problem is on.</param>
/// <param name="Field">The field at fault, in Istio's terms, e.g. <c>http[1].route[0].weight</c>.</param>
/// <param name="Problem">What is wrong.</param>
/// <param name="Fix">What to change.</param>
public sealed record ConfigError(string Resource, string Field, string Problem, string Fix)
{
    /// <summary>Istio's analyzer code for a warning, e.g. <c>IST0130</c>.</summary>
    public string? Code { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Resource}: {Field}: {Problem} Fix: {Fix}";
}

/// <summary>A place where the emulator cannot behave exactly as the system it emulates would.</summary>
/// <param name="System">Whose behaviour differs: <see cref="Istio"/> or <see cref="Knative"/>.</param>
/// <param name="Text">What differs, starting with what it concerns.</param>
public sealed record MeshNotice(string System, string Text)
{
    /// <summary>Traffic management and security.</summary>
    public const string Istio = "Istio";

    /// <summary>Functions (Serving) and events (Eventing).</summary>
    public const string Knative = "Knative";

    /// <inheritdoc />
    public override string ToString() => $"Differs from {System}: {Text}";
}

/// <summary>The outcome of validating a configuration.</summary>
/// <param name="Errors">Problems that stop the mesh from starting.</param>
/// <param name="Notices">Places where the emulator cannot behave exactly as Istio or Knative would.</param>
public sealed record ValidationResult(IReadOnlyList<ConfigError> Errors, IReadOnlyList<MeshNotice> Notices)
{
    /// <summary>What Istio accepts but cannot work as written (a rule that can never match), with Istio's analyzer code.</summary>
    public IReadOnlyList<ConfigError> Warnings { get; init; } = [];
}

/// <summary>
/// Checks a whole <see cref="MeshConfig"/> before it is used, collecting every problem, so one
/// run reports all of them. Nothing is validated per request.
/// </summary>
public static class MeshConfigValidator
{
    private static readonly int[] RedirectCodes = [301, 302, 303, 307, 308];

    /// <summary>Validates <paramref name="config"/>.</summary>
    public static ValidationResult Validate(MeshConfig config)
    {
        var errors = new List<ConfigError>();
        var notices = new List<MeshNotice>();
        var services = config.Services.ToDictionary(service => service.Name, StringComparer.Ordinal);

        var warnings = new List<ConfigError>();
        foreach (var service in config.Services)
        {
            var report = new Reporter(service.Name, errors, warnings);
            ValidateDestinationRule(service, report, notices);
            ValidateRoutes(service.Http, services, report);
        }

        foreach (var gateway in config.Gateways)
        {
            ValidateGateway(gateway, new Reporter($"gateway/{gateway.Name}", errors, warnings));
        }

        foreach (var virtualService in config.GatewayVirtualServices)
        {
            var report = new Reporter($"virtualservice/{virtualService.Name}", errors, warnings);
            if (virtualService.Hosts.IsDefaultOrEmpty)
            {
                report.Error("hosts", "is empty.", "name the hosts the gateway serves with these routes, e.g. hosts: [\"*\"].");
            }

            ValidateRoutes(virtualService.Http, services, report);
        }

        foreach (var workload in config.Workloads.Where(workload => workload.Scaling is not null))
        {
            ValidateScaling(workload.Scaling!, new Reporter(workload.Name, errors, warnings));
        }

        if (config.Workloads.Any(workload => workload.Scaling is not null))
        {
            notices.Add(new MeshNotice(MeshNotice.Knative, "functions: the activator stays in every request's path (Knative's target-burst-capacity -1), so the last instance stops after the idle window without Knative's scale-to-zero grace period."));
        }

        if (config.Brokers.Length > 0)
        {
            notices.Add(new MeshNotice(MeshNotice.Knative, "brokers: reply events (a 200 with a CloudEvent in it) are accepted as success but not routed back into the broker."));
        }

        foreach (var broker in config.Brokers)
        {
            ValidateBroker(broker, services, new Reporter($"broker/{broker.Name}", errors, warnings));
        }

        foreach (var policy in config.AuthorizationPolicies)
        {
            ValidateAuthorization(policy, new Reporter($"authorizationpolicy/{policy.Name}", errors, warnings));
        }

        return new ValidationResult(errors, notices) { Warnings = warnings };
    }

    private static void ValidateAuthorization(AuthorizationPolicy policy, Reporter report)
    {
        var rules = policy.Rules ?? [];
        for (var index = 0; index < rules.Count; index++)
        {
            var rule = rules[index];
            foreach (var (source, at) in (rule.From ?? []).Select((source, at) => (source, at)))
            {
                foreach (var block in (source.IpBlocks ?? []).Concat(source.NotIpBlocks ?? []))
                {
                    if (!System.Net.IPNetwork.TryParse(block, out _) && !System.Net.IPAddress.TryParse(block, out _))
                    {
                        report.Error($"rules[{index}].from[{at}].source.ipBlocks", $"'{block}' is not an address or CIDR block.", "write e.g. 10.0.0.0/8 or 127.0.0.1.");
                    }
                }
            }

            foreach (var (operation, at) in (rule.To ?? []).Select((operation, at) => (operation, at)))
            {
                foreach (var port in (operation.Ports ?? []).Concat(operation.NotPorts ?? []))
                {
                    if (!int.TryParse(port, out var number) || number is < 1 or > 65535)
                    {
                        report.Error($"rules[{index}].to[{at}].operation.ports", $"'{port}' is not a port.", "use a number from 1 to 65535.");
                    }
                }
            }

            foreach (var (condition, at) in (rule.When ?? []).Select((condition, at) => (condition, at)))
            {
                if (!AuthorizationCondition.IsKnownKey(condition.Key))
                {
                    report.Error($"rules[{index}].when[{at}].key", $"'{condition.Key}' is not a condition LocalMesh knows.",
                        "use request.headers[<name>], source.principal, source.namespace, source.ip or destination.port.");
                }

                if (condition.Values is null && condition.NotValues is null)
                {
                    report.Error($"rules[{index}].when[{at}]", "has neither values nor notValues.", "give the values the attribute must (not) have.");
                }
            }
        }
    }

    private static void ValidateDestinationRule(MeshServiceConfig service, Reporter report, List<MeshNotice> notices)
    {
        if (service.DestinationRule is not { } rule)
        {
            return;
        }

        ValidatePolicy(rule.TrafficPolicy, "trafficPolicy", service.Name, report, notices);
        var subsets = rule.Subsets ?? [];
        for (var index = 0; index < subsets.Count; index++)
        {
            var subset = subsets[index];
            var field = $"subsets[{index}]";
            if (string.IsNullOrWhiteSpace(subset.Name))
            {
                report.Error($"{field}.name", "is empty.", "give the subset a name, e.g. \"v1\".");
            }
            else if (subsets.Take(index).Any(other => other.Name == subset.Name))
            {
                report.Error($"{field}.name", $"'{subset.Name}' is declared twice.", "give each subset a name of its own.");
            }

            if (subset.Labels.Count == 0)
            {
                report.Error($"{field}.labels", "is empty, so the subset would be the whole service.", "select endpoints by label, e.g. version: v1.");
            }

            ValidatePolicy(subset.TrafficPolicy, $"{field}.trafficPolicy", service.Name, report, notices);
        }
    }

    private static void ValidatePolicy(TrafficPolicy? policy, string field, string service, Reporter report, List<MeshNotice> notices)
    {
        ValidateConnectionPool(policy?.ConnectionPool, $"{field}.connectionPool", service, report, notices);
        ValidateOutlierDetection(policy?.OutlierDetection, $"{field}.outlierDetection", report);
        if (policy?.LoadBalancer is not { } loadBalancer)
        {
            return;
        }

        field += ".loadBalancer";
        if (loadBalancer.Simple is not null && loadBalancer.ConsistentHash is not null)
        {
            report.Error(field, "sets both simple and consistentHash.", "choose one of them.");
        }

        if (loadBalancer.Simple == SimpleLoadBalancer.Passthrough)
        {
            notices.Add(new MeshNotice(MeshNotice.Istio, $"{service}: {field}.simple: PASSTHROUGH sends traffic to the address the caller dialled; locally there is none, so ROUND_ROBIN is used."));
        }

        if (loadBalancer.ConsistentHash is { } hash)
        {
            var keys = new[] { hash.HttpHeaderName is not null, hash.HttpCookie is not null, hash.UseSourceIp, hash.HttpQueryParameterName is not null }.Count(set => set);
            if (keys != 1)
            {
                report.Error($"{field}.consistentHash", $"sets {keys} hash keys.", "set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName.");
            }

            if (hash.MinimumRingSize is <= 0)
            {
                report.Error($"{field}.consistentHash.minimumRingSize", "must be positive.", $"leave it unset for Envoy's default of {ConsistentHash.DefaultMinimumRingSize}.");
            }

            if (hash.HttpCookie is { } cookie && (string.IsNullOrWhiteSpace(cookie.Name) || cookie.Ttl < TimeSpan.Zero))
            {
                report.Error($"{field}.consistentHash.httpCookie", "needs a name and a non-negative ttl.", "e.g. new HttpCookie(\"user\", Ttl: TimeSpan.FromHours(1)).");
            }
        }
    }

    private static void ValidateConnectionPool(ConnectionPoolSettings? pool, string field, string service, Reporter report, List<MeshNotice> notices)
    {
        if (pool is null)
        {
            return;
        }

        foreach (var (name, value) in new (string, int?)[]
        {
            ("tcp.maxConnections", pool.Tcp?.MaxConnections),
            ("http.http2MaxRequests", pool.Http?.Http2MaxRequests),
            ("http.maxRequestsPerConnection", pool.Http?.MaxRequestsPerConnection),
        })
        {
            if (value < 1)
            {
                report.Error($"{field}.{name}", $"is {value}.", "use 1 or more, or leave it unset for no limit.");
            }
        }

        foreach (var (name, value) in new (string, int?)[] { ("http.http1MaxPendingRequests", pool.Http?.Http1MaxPendingRequests), ("http.maxRetries", pool.Http?.MaxRetries) })
        {
            if (value < 0)
            {
                report.Error($"{field}.{name}", $"is {value}.", "use 0 or more, or leave it unset for no limit.");
            }
        }

        if (pool.Tcp?.ConnectTimeout is { } connect && connect < TimeSpan.FromMilliseconds(1))
        {
            report.Error($"{field}.tcp.connectTimeout", $"is {connect}.", "use at least 1ms, or leave it unset for 10s.");
        }

        if (pool.Http?.IdleTimeout is { } idle && idle < TimeSpan.FromMilliseconds(1))
        {
            report.Error($"{field}.http.idleTimeout", $"is {idle}.", "use at least 1ms, or leave it unset for 1h.");
        }

        if (pool.Http?.MaxRequestsPerConnection > 1)
        {
            notices.Add(new MeshNotice(MeshNotice.Istio, $"{service}: {field}.http.maxRequestsPerConnection: only 1 (no keep-alive) is emulated; connections are reused without a count."));
        }
    }

    private static void ValidateOutlierDetection(OutlierDetection? detection, string field, Reporter report)
    {
        if (detection is null)
        {
            return;
        }

        if (detection.Consecutive5xxErrors < 0 || detection.ConsecutiveGatewayErrors < 0)
        {
            report.Error(field, "has a negative error count.", "use 0 (off) or more.");
        }

        foreach (var (name, value) in new (string, TimeSpan?)[] { ("interval", detection.Interval), ("baseEjectionTime", detection.BaseEjectionTime) })
        {
            if (value < TimeSpan.FromMilliseconds(1))
            {
                report.Error($"{field}.{name}", $"is {value}.", "use at least 1ms, or leave it unset for Istio's default.");
            }
        }

        foreach (var (name, value) in new (string, int?)[] { ("maxEjectionPercent", detection.MaxEjectionPercent), ("minHealthPercent", detection.MinHealthPercent) })
        {
            if (value is < 0 or > 100)
            {
                report.Error($"{field}.{name}", $"is {value}.", "use a percentage from 0 to 100.");
            }
        }
    }

    private static void ValidateGateway(GatewayConfig gateway, Reporter report)
    {
        if (gateway.Servers.IsDefaultOrEmpty)
        {
            report.Error("servers", "is empty, so the gateway serves nothing.", "add a server, e.g. port 80, protocol HTTP, hosts [\"*\"].");
        }

        for (var index = 0; index < gateway.Servers.Length; index++)
        {
            var server = gateway.Servers[index];
            if (server.Port is < 1 or > 65535)
            {
                report.Error($"servers[{index}].port.number", $"is {server.Port}.", "use a port from 1 to 65535.");
            }

            if (server.Hosts.IsDefaultOrEmpty)
            {
                report.Error($"servers[{index}].hosts", "is empty.", "name the hosts it serves, e.g. [\"*\"] or [\"bookinfo.example.com\"].");
            }
        }
    }

    private static void ValidateRoutes(ImmutableArray<HttpRoute> routes, Dictionary<string, MeshServiceConfig> services, Reporter report)
    {
        for (var index = 0; index < routes.Length; index++)
        {
            var route = routes[index];
            if ((route.Match ?? []).Count == 0 && index < routes.Length - 1)
            {
                // Istio accepts it; its analyzer warns (IST0130, VirtualServiceUnreachableRule).
                report.Warning($"http[{index}].match", $"VirtualService rule #{index + 1} not used (only the last rule can have no matches): it catches every request, so {(routes.Length - index == 2 ? "the rule after it never matches" : $"the {routes.Length - index - 1} rules after it never match")}.",
                    "move the route without conditions to the end, or give it a match.", "IST0130");
            }

            ValidateRoute(route, $"http[{index}]", services, report);
        }
    }

    private static void ValidateRoute(HttpRoute route, string field, Dictionary<string, MeshServiceConfig> services, Reporter report)
    {
        var matches = route.Match ?? [];

        for (var index = 0; index < matches.Count; index++)
        {
            ValidateMatch(matches[index], $"{field}.match[{index}]", report);
        }

        var destinations = route.Route ?? [];
        if (destinations.Count == 0 && route.Redirect is null)
        {
            report.Error($"{field}.route", "has no destination.", "add a destination, or a redirect.");
        }

        if (destinations.Count > 0 && route.Redirect is not null)
        {
            report.Error($"{field}.redirect", "is set together with route.", "a route either redirects or forwards; keep one.");
        }

        ValidateHeaders(route.Headers, $"{field}.headers", report);
        for (var index = 0; index < destinations.Count; index++)
        {
            var destination = destinations[index];
            ValidateDestination(destination.Destination, $"{field}.route[{index}].destination", services, report);
            ValidateHeaders(destination.Headers, $"{field}.route[{index}].headers", report);
            if (destination.Weight < 0)
            {
                report.Error($"{field}.route[{index}].weight", $"is {destination.Weight}.", "weights are relative and must be 0 or more.");
            }
        }

        if (destinations.Count > 1 && destinations.Sum(destination => Math.Max(0, destination.Weight ?? 0)) == 0)
        {
            report.Error($"{field}.route", "has weights that are all 0, so no request could be sent anywhere.", "give at least one destination a positive weight.");
        }

        if (route.Mirror is { } mirror)
        {
            ValidateDestination(mirror, $"{field}.mirror", services, report);
        }

        ValidatePercentage(route.MirrorPercentage, $"{field}.mirrorPercentage", report);
        if (route.Timeout < TimeSpan.Zero)
        {
            report.Error($"{field}.timeout", $"is negative ({route.Timeout}).", "use a positive duration, or leave it unset for no timeout.");
        }

        ValidateRetries(route.Retries, $"{field}.retries", report);
        ValidateFault(route.Fault, $"{field}.fault", report);
        if (route.Redirect is { } redirect && !RedirectCodes.Contains(redirect.RedirectCode))
        {
            report.Error($"{field}.redirect.redirectCode", $"is {redirect.RedirectCode}.", "use 301, 302, 303, 307 or 308.");
        }
    }

    /// <summary>Header names must be HTTP tokens and values free of control characters, or they could not go on the wire (RFC 9110 §5).</summary>
    private static void ValidateHeaders(Headers? headers, string field, Reporter report)
    {
        foreach (var (side, operations) in new[] { ("request", headers?.Request), ("response", headers?.Response) })
        {
            foreach (var (kind, values) in new[] { ("set", operations?.Set), ("add", operations?.Add) })
            {
                foreach (var (name, value) in values ?? new Dictionary<string, string>())
                {
                    ValidateHeaderName(name, $"{field}.{side}.{kind}", report);
                    if (value.Any(c => char.IsControl(c) && c != '\t'))
                    {
                        report.Error($"{field}.{side}.{kind}[{name}]", "has a line break or another control character in its value.", "remove it; a header value is one line.");
                    }
                }
            }

            foreach (var name in operations?.Remove ?? [])
            {
                ValidateHeaderName(name, $"{field}.{side}.remove", report);
            }
        }
    }

    private static void ValidateHeaderName(string name, string field, Reporter report)
    {
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
        {
            report.Error($"{field}[{name}]", "is not a valid header name.", "use letters, digits and !#$%&'*+-.^_`|~ only (no spaces or colons).");
        }
    }

    private static void ValidateMatch(HttpMatchRequest match, string field, Reporter report)
    {
        var isEmpty = match.Uri is null && match.Scheme is null && match.Method is null && match.Authority is null
            && (match.Headers?.Count ?? 0) == 0 && (match.QueryParams?.Count ?? 0) == 0 && (match.WithoutHeaders?.Count ?? 0) == 0
            && (match.SourceLabels?.Count ?? 0) == 0 && match.Port is null;
        if (isEmpty)
        {
            report.Error(field, "has no condition.", "add a condition (uri, headers, ...), or remove the match to make the route the catch-all.");
        }

        ValidateString(match.Uri, $"{field}.uri", allowPresence: false, report);
        ValidateString(match.Scheme, $"{field}.scheme", allowPresence: false, report);
        ValidateString(match.Method, $"{field}.method", allowPresence: false, report);
        ValidateString(match.Authority, $"{field}.authority", allowPresence: false, report);
        foreach (var (kind, headers) in new[] { ("headers", match.Headers), ("withoutHeaders", match.WithoutHeaders), ("queryParams", match.QueryParams) })
        {
            foreach (var (name, value) in headers ?? new Dictionary<string, StringMatch>())
            {
                if (kind != "queryParams" && name != name.ToLowerInvariant())
                {
                    report.Error($"{field}.{kind}[{name}]", "has upper-case letters; Istio matches lower-case header names only.", $"write it as '{name.ToLowerInvariant()}'.");
                }

                ValidateString(value, $"{field}.{kind}[{name}]", allowPresence: kind != "queryParams", report);
            }
        }

        if (match.Port is < 1 or > 65535)
        {
            report.Error($"{field}.port", $"is {match.Port}.", "use a port from 1 to 65535.");
        }
    }

    private static void ValidateString(StringMatch? match, string field, bool allowPresence, Reporter report)
    {
        switch (match)
        {
            case null:
                return;
            case { Kind: StringMatchKind.Present } when !allowPresence:
                report.Error(field, "only checks presence, which this field cannot do.", "use exact, prefix or regex.");
                return;
            case { Kind: StringMatchKind.Regex } when StringMatch.RegexError(match.Value) is { } error:
                report.Error(field, $"regex '{match.Value}' does not compile: {error}", "write an RE2 expression (no look-around or back-references).");
                return;
            case { Kind: StringMatchKind.Prefix or StringMatchKind.Regex, Value.Length: 0 }:
                report.Error(field, $"has an empty {match.Kind.ToString().ToLowerInvariant()}.", "give a value, or remove the condition.");
                return;
        }
    }

    private static void ValidateDestination(Destination destination, string field, Dictionary<string, MeshServiceConfig> services, Reporter report)
    {
        if (!services.TryGetValue(destination.Host, out var service))
        {
            report.Error($"{field}.host", $"'{destination.Host}' is not a mesh service.", $"use one of: {string.Join(", ", services.Keys.Order())}.");
            return;
        }

        if (destination.Subset is { } subset && service.DestinationRule?.Subsets?.Any(s => s.Name == subset) != true)
        {
            var known = service.DestinationRule?.Subsets?.Select(s => s.Name).ToList() ?? [];
            report.Error($"{field}.subset", $"'{subset}' is not a subset of '{destination.Host}'.",
                known.Count == 0
                    ? $"declare it in the DestinationRule of '{destination.Host}' (in C#: .WithSubset(\"{subset}\"))."
                    : $"use one of: {string.Join(", ", known)}, or declare it in the DestinationRule of '{destination.Host}' (in C#: .WithSubset(\"{subset}\")).");
        }

        if (destination.Port is { } port && port != service.Port)
        {
            report.Error($"{field}.port", $"is {port}, but '{destination.Host}' listens on {service.Port}.", $"use {service.Port}, or leave it unset.");
        }
    }

    private static void ValidateRetries(HttpRetry? retries, string field, Reporter report)
    {
        if (retries is null)
        {
            return;
        }

        if (retries.Attempts < 0)
        {
            report.Error($"{field}.attempts", $"is {retries.Attempts}.", "use 0 (no retries) or more.");
        }

        if (retries.PerTryTimeout is { } perTry && perTry < TimeSpan.FromMilliseconds(1))
        {
            report.Error($"{field}.perTryTimeout", $"is {perTry}.", "use at least 1ms, or leave it unset to use the route's timeout.");
        }

        foreach (var condition in (retries.RetryOn ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!HttpRetry.KnownConditions.Contains(condition) && !(int.TryParse(condition, out var code) && code is >= 100 and <= 599))
            {
                report.Error($"{field}.retryOn", $"'{condition}' is not a retry condition.",
                    "use Envoy's conditions (5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, retriable-status-codes), gRPC ones or status codes such as 503.");
            }
        }
    }

    private static void ValidateFault(HttpFaultInjection? fault, string field, Reporter report)
    {
        if (fault is null)
        {
            return;
        }

        if (fault.Delay is null && fault.Abort is null)
        {
            report.Error(field, "has neither delay nor abort.", "set one, or remove the fault.");
        }

        if (fault.Delay is { } delay)
        {
            if (delay.FixedDelay <= TimeSpan.Zero)
            {
                report.Error($"{field}.delay.fixedDelay", $"is {delay.FixedDelay}.", "use a positive duration.");
            }

            ValidatePercentage(delay.Percentage, $"{field}.delay.percentage", report);
        }

        if (fault.Abort is { } abort)
        {
            if (abort.GrpcStatus is null && abort.HttpStatus is < 200 or > 599)
            {
                report.Error($"{field}.abort.httpStatus", $"is {abort.HttpStatus}.", "use an HTTP status from 200 to 599.");
            }

            ValidatePercentage(abort.Percentage, $"{field}.abort.percentage", report);
        }
    }

    private static void ValidateBroker(BrokerConfig broker, Dictionary<string, MeshServiceConfig> services, Reporter report)
    {
        ValidateDelivery(broker.Delivery, "spec.delivery", services, report);
        foreach (var (trigger, index) in broker.Triggers.Select((trigger, index) => (trigger, index)))
        {
            var field = $"triggers[{trigger.Name}]";
            if (!services.ContainsKey(trigger.Subscriber))
            {
                report.Error($"{field}.subscriber", $"'{trigger.Subscriber}' is not a service or function of the mesh.", "subscribe a service or function added to the mesh.");
            }

            foreach (var name in trigger.Filter.Keys.Where(name => name.Length == 0 || !name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9')))
            {
                report.Error($"{field}.filter.attributes[{name}]", "is not a CloudEvents attribute name.", "use lower-case letters and digits, e.g. type or source.");
            }

            if (trigger.Path is { } path && !path.StartsWith('/'))
            {
                report.Error($"{field}.subscriber.uri", $"'{path}' is not a path.", "start it with '/'.");
            }

            ValidateDelivery(trigger.Delivery, $"{field}.delivery", services, report);
        }

        foreach (var name in broker.Triggers.GroupBy(trigger => trigger.Name).Where(group => group.Count() > 1).Select(group => group.Key))
        {
            report.Error($"triggers[{name}]", "is declared more than once.", "give each trigger its own name.");
        }
    }

    private static void ValidateDelivery(DeliverySpec? delivery, string field, Dictionary<string, MeshServiceConfig> services, Reporter report)
    {
        if (delivery is null)
        {
            return;
        }

        if (delivery.Retry is < 0)
        {
            report.Error($"{field}.retry", $"is {delivery.Retry}.", "use 0 or more retries.");
        }

        if (delivery.BackoffDelay is { } delay && delay <= TimeSpan.Zero)
        {
            report.Error($"{field}.backoffDelay", $"is {MeshDuration.Format(delay)}.", "use a positive duration, e.g. PT0.2S.");
        }

        if (delivery.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            report.Error($"{field}.timeout", $"is {MeshDuration.Format(timeout)}.", "use a positive duration, or none.");
        }

        if (delivery.DeadLetterSink is { } sink && !services.ContainsKey(sink))
        {
            report.Error($"{field}.deadLetterSink", $"'{sink}' is not a service or function of the mesh.", "name a service or function added to the mesh.");
        }
    }

    private static void ValidateScaling(FunctionScaling scaling, Reporter report)
    {
        const string Annotation = "autoscaling.knative.dev/";
        if (scaling.ContainerConcurrency is < 0 or > FunctionScaling.MaxContainerConcurrency)
        {
            report.Error("containerConcurrency", $"is {scaling.ContainerConcurrency}.", $"use 0 (unlimited) to {FunctionScaling.MaxContainerConcurrency}.");
        }

        if (scaling.MinScale < 0)
        {
            report.Error(Annotation + "min-scale", $"is {scaling.MinScale}.", "use 0 or more.");
        }

        if (scaling.MaxScale < 0)
        {
            report.Error(Annotation + "max-scale", $"is {scaling.MaxScale}.", "use 0 (unbounded) or more.");
        }
        else if (scaling.MaxScale > 0 && scaling.MinScale > scaling.MaxScale)
        {
            report.Error(Annotation + "min-scale", $"is {scaling.MinScale}, above max-scale {scaling.MaxScale}.", "make min-scale at most max-scale.");
        }

        if (scaling.InitialScale < 0 || (scaling.MaxScale > 0 && scaling.InitialScale > scaling.MaxScale))
        {
            report.Error(Annotation + "initial-scale", $"is {scaling.InitialScale}.", $"use 0 to {(scaling.MaxScale > 0 ? scaling.MaxScale : "max-scale")}.");
        }

        if (scaling.Target is < 1)
        {
            report.Error(Annotation + "target", $"is {scaling.Target}.", "use 1 or more in-flight requests per instance.");
        }

        if (scaling.TargetUtilizationPercentage is < 1 or > 100)
        {
            report.Error(Annotation + "target-utilization-percentage", $"is {scaling.TargetUtilizationPercentage}.", "use 1 to 100.");
        }

        if (scaling.Window is { } window && (window < FunctionScaling.MinWindow || window > FunctionScaling.MaxWindow))
        {
            report.Error(Annotation + "window", $"is {MeshDuration.Format(window)}.", "use 6s to 1h.");
        }

        if (scaling.ScaleDownDelay is { } delay && (delay < TimeSpan.Zero || delay > FunctionScaling.MaxWindow))
        {
            report.Error(Annotation + "scale-down-delay", $"is {MeshDuration.Format(delay)}.", "use 0s to 1h.");
        }

        if (scaling.ScaleToZeroPodRetentionPeriod is { } retention && retention < TimeSpan.Zero)
        {
            report.Error(Annotation + "scale-to-zero-pod-retention-period", $"is {MeshDuration.Format(retention)}.", "use 0s or more.");
        }

        if (scaling.MaxQueuedRequests < 1)
        {
            report.Error("activator.maxQueuedRequests", $"is {scaling.MaxQueuedRequests}.", "let the activator hold at least 1 request.");
        }

        if (scaling.ActivationTimeout <= TimeSpan.Zero)
        {
            report.Error("activator.timeout", $"is {MeshDuration.Format(scaling.ActivationTimeout)}.", "give requests some time to wait for an instance, e.g. 30s.");
        }
    }

    private static void ValidatePercentage(double? percentage, string field, Reporter report)
    {
        if (percentage is < 0 or > 100 || (percentage is { } value && double.IsNaN(value)))
        {
            report.Error(field, $"is {percentage}.", "use a percentage from 0 to 100.");
        }
    }

    private readonly struct Reporter(string resource, List<ConfigError> errors, List<ConfigError> warnings)
    {
        public void Error(string field, string problem, string fix) => errors.Add(new ConfigError(resource, field, problem, fix));

        public void Warning(string field, string problem, string fix, string code) =>
            warnings.Add(new ConfigError(resource, field, problem, fix) { Code = code });
    }
}
