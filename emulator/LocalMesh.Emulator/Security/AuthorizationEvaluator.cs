using System.Net;
using LocalMesh.Emulator.Configuration;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Security;

/// <summary>What an authorization decision looks at.</summary>
/// <param name="Principal">The peer's principal (its SPIFFE ID without <c>spiffe://</c>), or null over plaintext.</param>
/// <param name="SourceAddress">The peer's address.</param>
/// <param name="Port">The port of the workload being called.</param>
/// <param name="Request">The request; null for a TCP connection, which has only the connection's attributes.</param>
internal readonly record struct AuthorizationRequest(string? Principal, IPAddress? SourceAddress, int Port, HttpRequest? Request);

/// <summary>An authorization decision and the policy that made it.</summary>
/// <param name="Allowed">Whether the request goes on.</param>
/// <param name="Policy">The policy that decided, when one did.</param>
/// <param name="Audited">The AUDIT policies that matched.</param>
internal sealed record AuthorizationDecision(bool Allowed, string? Policy, IReadOnlyList<string> Audited)
{
    /// <summary>The index of the rule of <see cref="Policy"/> that matched; none when no rule did (an ALLOW policy that matched nothing).</summary>
    public int? Rule { get; init; }
}

/// <summary>
/// Istio's order of evaluation: any matching DENY denies; then, if the workload has ALLOW
/// policies, one of them must match; otherwise the request is allowed. AUDIT policies are noted
/// and change nothing. A TCP connection has no HTTP attributes: a rule that needs one (hosts,
/// methods, paths, a <c>request.*</c> condition) matches nothing in an ALLOW policy, and in a DENY
/// policy is evaluated without them, so it denies more (Istio's "Authorization for TCP traffic").
/// </summary>
internal static class AuthorizationEvaluator
{
    public static AuthorizationDecision Evaluate(IReadOnlyList<AuthorizationPolicy> policies, AuthorizationRequest request)
    {
        var audited = new List<string>();
        foreach (var policy in policies)
        {
            if (policy.Action == AuthorizationAction.Audit && MatchingRule(policy, request) >= 0)
            {
                audited.Add(policy.Name);
            }
        }

        foreach (var policy in policies)
        {
            if (policy.Action == AuthorizationAction.Deny && MatchingRule(policy, request) is var denying and >= 0)
            {
                return new AuthorizationDecision(false, policy.Name, audited) { Rule = denying };
            }
        }

        var allows = policies.Where(policy => policy.Action == AuthorizationAction.Allow).ToList();
        if (allows.Count == 0)
        {
            return new AuthorizationDecision(true, null, audited);
        }

        foreach (var policy in allows)
        {
            if (MatchingRule(policy, request) is var allowing and >= 0)
            {
                return new AuthorizationDecision(true, policy.Name, audited) { Rule = allowing };
            }
        }

        return new AuthorizationDecision(false, allows[0].Name, audited);
    }

    /// <summary>The index of the first of a policy's rules that matches, or -1; without rules a policy matches nothing.</summary>
    private static int MatchingRule(AuthorizationPolicy policy, AuthorizationRequest request)
    {
        var rules = policy.Rules ?? [];
        for (var index = 0; index < rules.Count; index++)
        {
            if (request.Request is null && policy.Action != AuthorizationAction.Deny && NeedsHttp(rules[index]))
            {
                continue;
            }

            if (Matches(rules[index], request))
            {
                return index;
            }
        }

        return -1;
    }

    /// <summary>Whether a rule names an attribute only HTTP requests have.</summary>
    private static bool NeedsHttp(AuthorizationRule rule) =>
        (rule.To ?? []).Any(operation => operation.Hosts is not null || operation.NotHosts is not null || operation.Methods is not null
            || operation.NotMethods is not null || operation.Paths is not null || operation.NotPaths is not null)
        || (rule.When ?? []).Any(condition => condition.Key.StartsWith("request.", StringComparison.Ordinal));

    private static bool Matches(AuthorizationRule rule, AuthorizationRequest request)
    {
        return (rule.From is not { Count: > 0 } from || from.Any(source => Matches(source, request)))
            && (rule.To is not { Count: > 0 } to || to.Any(operation => Matches(operation, request)))
            && (rule.When ?? []).All(condition => Matches(condition, request));
    }

    private static bool Matches(AuthorizationSource source, AuthorizationRequest request)
    {
        var @namespace = NamespaceOf(request.Principal);
        var address = request.SourceAddress;
        return Field(source.Principals, source.NotPrincipals, request.Principal)
            && Field(source.Namespaces, source.NotNamespaces, @namespace)
            && (source.IpBlocks is null || (address is not null && source.IpBlocks.Any(block => InBlock(address, block))))
            && (source.NotIpBlocks is null || address is null || !source.NotIpBlocks.Any(block => InBlock(address, block)));
    }

    private static bool Matches(AuthorizationOperation operation, AuthorizationRequest request) =>
        Field(operation.Ports, operation.NotPorts, request.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
        // Over TCP, a DENY rule's HTTP fields are left out (an ALLOW rule with them never gets here).
        && (request.Request is not { } http
            || (Field(operation.Hosts, operation.NotHosts, http.Host.Value)
                && Field(operation.Methods, operation.NotMethods, http.Method)
                && Field(operation.Paths, operation.NotPaths, http.Path.Value ?? "/")));

    private static bool Matches(AuthorizationCondition condition, AuthorizationRequest request) =>
        (request.Request is null && condition.Key.StartsWith("request.", StringComparison.Ordinal))
        || Field(condition.Values, condition.NotValues, Attribute(condition.Key, request));

    /// <summary>The value of a <c>when</c> key; null when the request has none.</summary>
    public static string? Attribute(string key, AuthorizationRequest request)
    {
        const string headerPrefix = "request.headers[";
        if (key.StartsWith(headerPrefix, StringComparison.Ordinal) && key.EndsWith(']'))
        {
            return request.Request?.Headers.TryGetValue(key[headerPrefix.Length..^1], out var values) == true ? values.ToString() : null;
        }

        return key switch
        {
            "source.principal" => request.Principal,
            "source.namespace" => NamespaceOf(request.Principal),
            "source.ip" => request.SourceAddress?.ToString(),
            "destination.port" => request.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>A field matches when one of its values does (or it has none) and none of its not-values does.</summary>
    private static bool Field(IReadOnlyList<string>? values, IReadOnlyList<string>? notValues, string? actual) =>
        (values is null || (actual is not null && values.Any(value => Matches(value, actual))))
        && (notValues is null || actual is null || !notValues.Any(value => Matches(value, actual)));

    /// <summary>Istio's string match: exact, <c>prefix*</c>, <c>*suffix</c>, or <c>*</c> for any non-empty value.</summary>
    private static bool Matches(string pattern, string actual) => pattern switch
    {
        "*" => actual.Length > 0,
        _ when pattern.EndsWith('*') => actual.StartsWith(pattern[..^1], StringComparison.Ordinal),
        _ when pattern.StartsWith('*') => actual.EndsWith(pattern[1..], StringComparison.Ordinal),
        _ => actual == pattern,
    };

    private static string? NamespaceOf(string? principal)
    {
        // <trust-domain>/ns/<namespace>/sa/<service-account>
        var parts = principal?.Split('/');
        return parts is { Length: 5 } && parts[1] == "ns" ? parts[2] : null;
    }

    private static bool InBlock(IPAddress address, string block)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return IPNetwork.TryParse(block, out var network) ? network.Contains(address)
            : IPAddress.TryParse(block, out var single) && single.Equals(address);
    }
}
