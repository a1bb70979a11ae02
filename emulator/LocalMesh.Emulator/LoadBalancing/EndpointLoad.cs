using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LocalMesh.Emulator.Routing;

namespace LocalMesh.Emulator.LoadBalancing;

/// <summary>Requests in flight to each endpoint, as a sidecar counts them (LEAST_REQUEST reads this).</summary>
internal sealed class EndpointLoad
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _active = new(StringComparer.Ordinal);

    public int Active(UpstreamEndpoint endpoint) => _active.TryGetValue(endpoint.Name, out var count) ? Volatile.Read(ref count.Value) : 0;

    /// <summary>Counts a request to <paramref name="endpoint"/> until the returned handle is disposed.</summary>
    public Lease Begin(UpstreamEndpoint endpoint)
    {
        var count = _active.GetOrAdd(endpoint.Name, static _ => new StrongBox<int>());
        Interlocked.Increment(ref count.Value);
        return new Lease(count);
    }

    public readonly struct Lease(StrongBox<int> count) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref count.Value);
    }
}
