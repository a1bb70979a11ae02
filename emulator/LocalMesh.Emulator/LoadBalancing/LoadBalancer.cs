using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Randomness;
using LocalMesh.Emulator.Routing;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.LoadBalancing;

/// <summary>
/// Picks a cluster's endpoint by the cluster's policy: ROUND_ROBIN, LEAST_REQUEST (the fewer
/// in-flight requests of two random endpoints), RANDOM, or a consistent hash of the request.
/// A retry avoids endpoints already tried, as Istio's previous-hosts predicate does.
/// </summary>
internal sealed class LoadBalancer(IMeshRandom random, EndpointLoad load)
{
    /// <summary>Istio's host_selection_retry_max_attempts for the previous-hosts predicate.</summary>
    public const int HostSelectionAttempts = 5;

    private readonly ConcurrentDictionary<string, StrongBox<long>> _positions = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<IReadOnlyList<UpstreamEndpoint>, HashRing> _rings = new();

    /// <summary>An endpoint of <paramref name="cluster"/>, or null when it has none.</summary>
    /// <param name="cluster">The cluster the route chose.</param>
    /// <param name="context">The request (consistent hashing reads it, and may set a cookie on its response).</param>
    /// <param name="tried">Endpoints earlier tries of this request went to.</param>
    /// <param name="available">The cluster's endpoints outlier detection has not ejected; all of them by default.</param>
    public UpstreamEndpoint? Pick(Cluster cluster, HttpContext? context, IReadOnlyCollection<UpstreamEndpoint> tried, IReadOnlyList<UpstreamEndpoint>? available = null)
    {
        available ??= cluster.Endpoints;
        if (available.Count == 0)
        {
            return null;
        }

        // Envoy builds its ring from the hosts it may use; with some ejected, a ring of the rest,
        // built once for each set outlier detection leaves (that list lives until the set changes).
        var ring = cluster.Ring is null || available.Count == cluster.Endpoints.Length
            ? cluster.Ring
            : RingOf(cluster, available);

        UpstreamEndpoint pick = null!;
        for (var attempt = 0; attempt < HostSelectionAttempts; attempt++)
        {
            pick = PickOnce(cluster, available, ring, context);
            if (!tried.Contains(pick))
            {
                break;
            }
        }

        return pick;
    }

    private HashRing RingOf(Cluster cluster, IReadOnlyList<UpstreamEndpoint> available) =>
        _rings.TryGetValue(available, out var ring)
            ? ring
            : _rings.GetValue(available, endpoints =>
                new HashRing([.. endpoints], cluster.LoadBalancer.ConsistentHash!.MinimumRingSize ?? ConsistentHash.DefaultMinimumRingSize));

    private UpstreamEndpoint PickOnce(Cluster cluster, IReadOnlyList<UpstreamEndpoint> endpoints, HashRing? ring, HttpContext? context)
    {
        if (ring is not null)
        {
            // A TCP connection (no request) hashes on nothing: any endpoint, as Envoy picks without a hash key.
            return context is not null && HashKey(cluster.LoadBalancer.ConsistentHash!, context) is { } key
                ? ring.Find(HashRing.Hash(key))
                : endpoints[random.Next(endpoints.Count)];
        }

        switch (cluster.LoadBalancer.Simple)
        {
            case SimpleLoadBalancer.Random:
                return endpoints[random.Next(endpoints.Count)];
            case SimpleLoadBalancer.LeastRequest:
                // Envoy's power of two choices when all weights are equal.
                var first = endpoints[random.Next(endpoints.Count)];
                var second = endpoints[random.Next(endpoints.Count)];
                return load.Active(second) < load.Active(first) ? second : first;
            default:
                var position = _positions.GetOrAdd(cluster.Name, static _ => new StrongBox<long>(-1));
                return endpoints[(int)(Interlocked.Increment(ref position.Value) % endpoints.Count)];
        }
    }

    /// <summary>The value to hash, or null when the request has none (Envoy then picks at random).</summary>
    private string? HashKey(ConsistentHash hash, HttpContext context)
    {
        var request = context.Request;
        if (hash.HttpHeaderName is { } header)
        {
            return request.Headers.TryGetValue(header, out var value) ? value.ToString() : null;
        }

        if (hash.HttpQueryParameterName is { } parameter)
        {
            return request.Query.TryGetValue(parameter, out var value) ? value.ToString() : null;
        }

        if (hash.UseSourceIp)
        {
            return context.Connection.RemoteIpAddress?.ToString();
        }

        var cookie = hash.HttpCookie!;
        if (request.Cookies.TryGetValue(cookie.Name, out var existing))
        {
            return existing;
        }

        if (cookie.Ttl is not { } ttl)
        {
            return null;
        }

        // Envoy generates the cookie when it is missing and a TTL is set, so the caller sticks from now on.
        var generated = ((ulong)random.Next(int.MaxValue) << 31 | (uint)random.Next(int.MaxValue)).ToString("x16", CultureInfo.InvariantCulture);
        var options = new CookieOptions { Path = cookie.Path ?? "/", HttpOnly = true, MaxAge = ttl > TimeSpan.Zero ? ttl : null };
        context.Response.OnStarting(() =>
        {
            context.Response.Cookies.Append(cookie.Name, generated, options);
            return Task.CompletedTask;
        });
        return generated;
    }
}
