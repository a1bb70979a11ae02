namespace LocalMesh.Emulator.Configuration;

/// <summary>What an <see cref="AuthorizationPolicy"/> does when one of its rules matches.</summary>
public enum AuthorizationAction
{
    /// <summary>Allow; once a workload has an ALLOW policy, only what one allows gets through.</summary>
    Allow,

    /// <summary>Deny, before any ALLOW is considered.</summary>
    Deny,

    /// <summary>Record the match; the decision is unchanged.</summary>
    Audit,
}

/// <summary>
/// Istio's <c>AuthorizationPolicy</c> (security.istio.io/v1) for the workloads its selector picks
/// (or all of its namespace, or the mesh). An ALLOW policy without rules matches nothing; one
/// with an empty rule matches everything.
/// </summary>
/// <param name="Name">The policy's name, reported with each decision.</param>
/// <param name="Action">What a match means.</param>
public sealed record AuthorizationPolicy(string Name, AuthorizationAction Action)
{
    /// <summary>The namespace it applies to; null for mesh-wide.</summary>
    public string? Namespace { get; init; }

    /// <summary>Labels of the workloads it applies to; null for every workload in its scope.</summary>
    public IReadOnlyDictionary<string, string>? Selector { get; init; }

    /// <summary>The rules; any one matching is a match.</summary>
    public IReadOnlyList<AuthorizationRule>? Rules { get; init; }
}

/// <summary>One rule: some <c>from</c> AND some <c>to</c> AND every <c>when</c> must match; an absent part matches anything.</summary>
public sealed record AuthorizationRule
{
    /// <summary>Who may be calling (any of them).</summary>
    public IReadOnlyList<AuthorizationSource>? From { get; init; }

    /// <summary>What is being called (any of them).</summary>
    public IReadOnlyList<AuthorizationOperation>? To { get; init; }

    /// <summary>Further conditions (all of them).</summary>
    public IReadOnlyList<AuthorizationCondition>? When { get; init; }
}

/// <summary>Istio's <c>Source</c>: every field set must match; values may use <c>*</c> as prefix or suffix.</summary>
public sealed record AuthorizationSource
{
    /// <summary>Peer identities without <c>spiffe://</c>, e.g. <c>cluster.local/ns/default/sa/productpage-v1</c>.</summary>
    public IReadOnlyList<string>? Principals { get; init; }

    /// <summary>Peer identities that must not be the caller's.</summary>
    public IReadOnlyList<string>? NotPrincipals { get; init; }

    /// <summary>The caller's namespace (from its identity).</summary>
    public IReadOnlyList<string>? Namespaces { get; init; }

    /// <summary>Namespaces the caller must not be in.</summary>
    public IReadOnlyList<string>? NotNamespaces { get; init; }

    /// <summary>CIDR blocks the caller's address must be in.</summary>
    public IReadOnlyList<string>? IpBlocks { get; init; }

    /// <summary>CIDR blocks the caller's address must not be in.</summary>
    public IReadOnlyList<string>? NotIpBlocks { get; init; }
}

/// <summary>Istio's <c>Operation</c>: every field set must match; values may use <c>*</c> as prefix or suffix.</summary>
public sealed record AuthorizationOperation
{
    /// <summary>Host (authority) values.</summary>
    public IReadOnlyList<string>? Hosts { get; init; }

    /// <summary>Hosts that must not be the request's.</summary>
    public IReadOnlyList<string>? NotHosts { get; init; }

    /// <summary>Ports of the workload being called.</summary>
    public IReadOnlyList<string>? Ports { get; init; }

    /// <summary>Ports that must not be the request's.</summary>
    public IReadOnlyList<string>? NotPorts { get; init; }

    /// <summary>HTTP methods.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>Methods that must not be the request's.</summary>
    public IReadOnlyList<string>? NotMethods { get; init; }

    /// <summary>Paths (without the query string).</summary>
    public IReadOnlyList<string>? Paths { get; init; }

    /// <summary>Paths that must not be the request's.</summary>
    public IReadOnlyList<string>? NotPaths { get; init; }
}

/// <summary>Istio's <c>Condition</c>: an attribute and the values it must (not) have.</summary>
/// <param name="Key">
/// <c>request.headers[name]</c>, <c>source.principal</c>, <c>source.namespace</c>,
/// <c>source.ip</c> or <c>destination.port</c>.
/// </param>
public sealed record AuthorizationCondition(string Key)
{
    /// <summary>Whether the emulator evaluates <paramref name="key"/>: the source's principal, namespace and IP, the destination port, a request header.</summary>
    internal static bool IsKnownKey(string key) =>
        key is "source.principal" or "source.namespace" or "source.ip" or "destination.port"
        || (key.StartsWith("request.headers[", StringComparison.Ordinal) && key.EndsWith(']') && key.Length > "request.headers[]".Length);

    /// <summary>Values the attribute must match (any of them).</summary>
    public IReadOnlyList<string>? Values { get; init; }

    /// <summary>Values the attribute must not match.</summary>
    public IReadOnlyList<string>? NotValues { get; init; }
}
