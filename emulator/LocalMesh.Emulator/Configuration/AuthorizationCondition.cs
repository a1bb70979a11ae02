namespace LocalMesh.Emulator.Configuration;

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
