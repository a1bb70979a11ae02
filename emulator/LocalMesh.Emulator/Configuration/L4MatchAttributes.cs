using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>L4MatchAttributes</c>: what a TCP route matches on (a connection has no HTTP attributes).</summary>
public sealed record L4MatchAttributes
{
    /// <summary>The service port the connection was made to.</summary>
    public int? Port { get; init; }

    /// <summary>Labels the calling workload must have.</summary>
    public IReadOnlyDictionary<string, string>? SourceLabels { get; init; }
}
