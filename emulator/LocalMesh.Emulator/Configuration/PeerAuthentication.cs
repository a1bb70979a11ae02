namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// Istio's <c>PeerAuthentication</c>: the mTLS mode for the whole mesh (no namespace, no
/// selector), a namespace, or the workloads a selector picks, optionally per port.
/// </summary>
/// <param name="Name">The policy's name.</param>
/// <param name="Mode">The mode.</param>
public sealed record PeerAuthentication(string Name, MutualTlsMode Mode)
{
    /// <summary>The namespace it applies to; null for mesh-wide (Istio's root namespace).</summary>
    public string? Namespace { get; init; }

    /// <summary>Labels of the workloads it applies to; null for every workload in its scope.</summary>
    public IReadOnlyDictionary<string, string>? Selector { get; init; }

    /// <summary>Modes for particular workload ports (only with a selector).</summary>
    public IReadOnlyDictionary<int, MutualTlsMode>? PortLevelMtls { get; init; }
}
