namespace LocalMesh.Emulator.Configuration;

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
