using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.LoadBalancing;

/// <summary>
/// Envoy's ROUND_ROBIN: each service's requests go to its endpoints in turn. The position is
/// runtime state kept per service across snapshots, so a config change does not reset it.
/// </summary>
internal sealed class RoundRobin
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _positions = new(StringComparer.Ordinal);

    /// <summary>The next endpoint of <paramref name="key"/>, or <c>null</c> when there is none.</summary>
    public UpstreamEndpoint? Pick(string key, IReadOnlyList<UpstreamEndpoint> endpoints)
    {
        if (endpoints.Count == 0)
        {
            return null;
        }

        var position = _positions.GetOrAdd(key, static _ => new StrongBox<long>(-1));
        var next = Interlocked.Increment(ref position.Value);
        return endpoints[(int)(next % endpoints.Count)];
    }

}
