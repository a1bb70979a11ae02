using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>The checks of a VirtualService's HTTP routes: matches, destinations, headers, retries, faults, redirects.</summary>
internal static class VirtualServiceValidator
{
    /// <summary>The gRPC status names a fault may abort with (istiod's supported gRPC statuses).</summary>
    private static readonly string[] GrpcStatusNames =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    private static readonly int[] RedirectCodes = [301, 302, 303, 307, 308];

    public static void Validate(ImmutableArray<HttpRoute> routes, Dictionary<string, MeshServiceConfig> services, ConfigReport report)
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

    /// <summary>
    /// A service's TCP routes: matches and weighted destinations as for HTTP. Routes of the other
    /// kind than the port's protocol are never used, as Istio applies <c>http</c> routes to HTTP
    /// ports and <c>tcp</c> routes to TCP ones.
    /// </summary>
    public static void ValidateTcp(MeshServiceConfig service, Dictionary<string, MeshServiceConfig> services, ConfigReport report)
    {
        var tcp = service.Protocol == ServiceProtocol.Tcp;
        if (!tcp && !service.Tcp.IsDefaultOrEmpty)
        {
            report.Warning("tcp", $"is not used: {service.Name}'s port speaks {service.Protocol}, so its http routes apply.", "remove the tcp routes, or route with http routes.");
        }
        else if (tcp && !service.Http.IsDefaultOrEmpty)
        {
            report.Warning("http", $"is not used: {service.Name}'s port speaks TCP, so only tcp routes apply to its connections.", "route with tcp routes (port, sourceLabels, weighted destinations).");
        }

        ValidateTcpRoutes(service, services, report);
    }

    /// <summary>The TCP routes' matches and weighted destinations, whatever the ports they apply to.</summary>
    public static void ValidateTcpRoutes(MeshServiceConfig service, Dictionary<string, MeshServiceConfig> services, ConfigReport report)
    {
        for (var index = 0; index < service.Tcp.Length; index++)
        {
            // Validated as the HTTP route with the same matches and destinations, under the tcp route's field names.
            ValidateRoute(service.Tcp[index].AsHttpRoute(index), $"tcp[{index}]", services, report);
        }
    }

    private static void ValidateRoute(HttpRoute route, string field, Dictionary<string, MeshServiceConfig> services, ConfigReport report)
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
            report.Error($"{field}.redirect", "is set together with route; istiod rejects it (HTTP route cannot contain both route and redirect).", "a route either redirects or forwards; keep one.");
        }

        if (route.Redirect is { } redirecting)
        {
            if (route.Fault is not null)
            {
                report.Error($"{field}.fault", "is set together with redirect; istiod rejects it (HTTP route cannot contain both fault and redirect).", "keep the redirect or the fault.");
            }

            if (route.Rewrite is not null)
            {
                report.Error($"{field}.rewrite", "is set together with redirect; istiod rejects it (HTTP route rule cannot contain both rewrite and redirect).", "keep the redirect or the rewrite.");
            }

            if (redirecting is { Uri: null, Authority: null, Port: null, Scheme: null })
            {
                report.Error($"{field}.redirect", "names nothing to redirect to; istiod rejects it (redirect must specify URI, authority, scheme, or port).", "give a uri, authority, scheme or port.");
            }

            if (redirecting.Scheme is { } scheme && scheme is not ("http" or "https"))
            {
                report.Error($"{field}.redirect.scheme", $"is '{scheme}'; istiod rejects it (invalid redirect scheme, must be \"http\" or \"https\").", "use http or https.");
            }
        }

        if (route.Rewrite is { Uri: null, Authority: null })
        {
            report.Error($"{field}.rewrite", "rewrites nothing; istiod rejects it (rewrite must specify at least one of URI, UriRegexRewrite, or authority).", "give a uri or an authority, or remove the rewrite.");
        }

        ValidateHeaders(route.Headers, $"{field}.headers", report);
        for (var index = 0; index < destinations.Count; index++)
        {
            var destination = destinations[index];
            if (!destination.Unresolved)
            {
                // An unresolved Gateway API backend was said where it was read.
                ValidateDestination(destination.Destination, $"{field}.route[{index}].destination", services, report);
            }

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

        report.Percentage(route.MirrorPercentage, $"{field}.mirrorPercentage");
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
    private static void ValidateHeaders(Headers? headers, string field, ConfigReport report)
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

            // istiod's ValidateHTTPHeaderOperationName: Host is set only on requests (as the authority), never removed.
            var named = (operations?.Set?.Keys ?? []).Concat(operations?.Add?.Keys ?? []).Select(name => (name, Removed: false))
                .Concat((operations?.Remove ?? []).Select(name => (name, Removed: true)));
            foreach (var (name, removed) in named.Where(pair => pair.name.Equals("host", StringComparison.OrdinalIgnoreCase) && (pair.Removed || side == "response")))
            {
                report.Error($"{field}.{side}", $"{(removed ? "removes" : "sets")} the Host header; istiod rejects it (invalid header \"{name}\": cannot set Host header).", "set the authority with a rewrite, or on the request.");
            }
        }
    }

    private static void ValidateHeaderName(string name, string field, ConfigReport report)
    {
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
        {
            report.Error($"{field}[{name}]", "is not a valid header name.", "use letters, digits and !#$%&'*+-.^_`|~ only (no spaces or colons).");
        }
    }

    private static void ValidateMatch(HttpMatchRequest match, string field, ConfigReport report)
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
                if (kind != "queryParams" && !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                {
                    report.Error($"{field}.{kind}[{name}]", $"'{name}' is not a header name; istiod rejects it (header name {name} is not a valid header name).", "use letters, digits, '-' and '_' only.");
                    continue;
                }

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

    private static void ValidateString(StringMatch? match, string field, bool allowPresence, ConfigReport report)
    {
        switch (match)
        {
            case null:
                return;
            case { Kind: StringMatchKind.Present } when !allowPresence:
                report.Error(field, "only checks presence, which this field cannot do.", "use exact, prefix or regex.");
                return;
            case { Kind: StringMatchKind.Regex, Value.Length: > 1024 }:
                report.Error(field, $"has a regex of {match.Value.Length} characters; istiod rejects it (regex is too large, max length allowed is 1024).", "shorten the expression.");
                return;
            case { Kind: StringMatchKind.Regex } when StringMatch.RegexError(match.Value) is { } error:
                report.Error(field, $"regex '{match.Value}' does not compile: {error}", "write an RE2 expression (no look-around or back-references).");
                return;
            case { Kind: StringMatchKind.Prefix or StringMatchKind.Regex, Value.Length: 0 }:
                report.Error(field, $"has an empty {match.Kind.ToString().ToLowerInvariant()}.", "give a value, or remove the condition.");
                return;
        }
    }

    private static void ValidateDestination(Destination destination, string field, Dictionary<string, MeshServiceConfig> services, ConfigReport report)
    {
        if (destination.Host == "*")
        {
            report.Error($"{field}.host", "is '*'; istiod rejects it (invalid destination host *).", "name the service to send to.");
            return;
        }

        if (destination.Subset is { } named && !DestinationRuleValidator.IsDnsLabel(named))
        {
            report.Error($"{field}.subset", $"'{named}' is not a DNS-1123 label, so istiod rejects it (subset name is invalid).", "use lowercase letters, digits and '-', e.g. v1.");
            return;
        }

        if (destination.Port is { } number and (< 1 or > 65535))
        {
            report.Error($"{field}.port", $"is {number}; istiod rejects it (port number {number} must be in the range 1..65535).", "use a port from 1 to 65535.");
            return;
        }
        if (!services.TryGetValue(destination.Host, out var service))
        {
            // istiod accepts it and its requests are answered 503 (NC): a team's rules often name
            // another team's service, which the local app does not run. Istio's analyzer warns.
            report.Warning($"{field}.host", $"Referenced host not found: \"{destination.Host}\"; it is no service of the app, so its requests are answered 503 (NC), as in a cluster without it.",
                $"use one of: {string.Join(", ", services.Keys.Order())}, or add the service to the app model.", "IST0101");
            return;
        }

        if (destination.Subset is { } subset && service.DestinationRule?.Subsets?.Any(s => s.Name == subset) != true)
        {
            // istiod accepts it and Envoy has no such cluster: its requests are answered 503 (NC).
            var known = service.DestinationRule?.Subsets?.Select(s => s.Name).ToList() ?? [];
            report.Warning($"{field}.subset", $"Referenced host+subset in destinationrule not found: \"{destination.Host}+{subset}\"; '{subset}' is not a subset of '{destination.Host}', so its requests are answered 503 (NC).",
                known.Count == 0
                    ? $"declare it in the DestinationRule of '{destination.Host}' (in C#: .WithSubset(\"{subset}\"))."
                    : $"use one of: {string.Join(", ", known)}, or declare it in the DestinationRule of '{destination.Host}' (in C#: .WithSubset(\"{subset}\")).", "IST0101");
        }

        if (destination.Port is { } port && service.Port != 0 && port != service.Port)
        {
            // istiod accepts it; Envoy has no cluster for that port, so its requests are answered 503 (NC).
            report.Warning($"{field}.port", $"is {port}, but '{destination.Host}' listens on {service.Port}, so its requests are answered 503 (NC), as Envoy has no cluster for that port.", $"use {service.Port}, or leave it unset.");
        }
    }

    private static void ValidateRetries(HttpRetry? retries, string field, ConfigReport report)
    {
        if (retries is null)
        {
            return;
        }

        if (retries.Attempts < 0)
        {
            report.Error($"{field}.attempts", $"is {retries.Attempts}.", "use 0 (no retries) or more.");
        }

        if (retries.Attempts == 0 && (retries.PerTryTimeout is not null || retries.RetryOn is not null || retries.RetryRemoteLocalities is not null))
        {
            report.Error(field, "sets a policy with attempts 0; istiod rejects it (http retry policy configured when attempts are set to 0 (disabled)).", "set attempts to 1 or more, or remove the other fields.");
        }

        if (retries.PerTryTimeout is { } perTry && perTry < TimeSpan.FromMilliseconds(1))
        {
            report.Error($"{field}.perTryTimeout", $"is {perTry}.", "use at least 1ms, or leave it unset to use the route's timeout.");
        }

        foreach (var condition in (retries.RetryOn ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // A number is a condition when it is an HTTP status with a name, as istiod checks it.
            if (!HttpRetry.KnownConditions.Contains(condition) && !(int.TryParse(condition, out var code) && Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code).Length > 0))
            {
                report.Error($"{field}.retryOn", $"'{condition}' is not a retry condition.",
                    "use Envoy's conditions (5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, retriable-status-codes), gRPC ones or status codes such as 503.");
            }
        }
    }

    private static void ValidateFault(HttpFaultInjection? fault, string field, ConfigReport report)
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

            report.Percentage(delay.Percentage, $"{field}.delay.percentage");
        }

        if (fault.Abort is { } abort)
        {
            if (abort.GrpcStatus is null && abort.HttpStatus is < 200 or > 599)
            {
                report.Error($"{field}.abort.httpStatus", $"is {abort.HttpStatus}; istiod rejects it (HTTP status {abort.HttpStatus} is not in range 200-599).", "use an HTTP status from 200 to 599.");
            }

            if (abort.GrpcStatus is { } grpc && !GrpcStatusNames.Contains(grpc))
            {
                report.Error($"{field}.abort.grpcStatus", $"'{grpc}' is not a gRPC status; istiod rejects it (gRPC status is not supported).", $"use one of: {string.Join(", ", GrpcStatusNames)}.");
            }

            report.Percentage(abort.Percentage, $"{field}.abort.percentage");
        }
    }
}
