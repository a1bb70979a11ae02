namespace LocalMesh.Emulator.Configuration;

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
