using System.Collections.Concurrent;
using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.Telemetry;

namespace LocalMesh.Emulator.Outliers;

/// <summary>An endpoint taken out of load balancing by one calling sidecar.</summary>
/// <param name="Source">The calling workload whose sidecar ejected it.</param>
/// <param name="Cluster">The cluster it was ejected from.</param>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="Until">When it returns (at the first detection interval after its ejection time).</param>
/// <param name="Times">How many times it has been ejected.</param>
internal sealed record Ejection(string Source, string Cluster, string Endpoint, DateTimeOffset Until, int Times);

/// <summary>
/// Envoy's outlier detection for consecutive errors, kept per calling sidecar: an endpoint that
/// answers <c>consecutive5xxErrors</c> 5xx (or <c>consecutiveGatewayErrors</c> 502/503/504) in a
/// row is ejected for <c>baseEjectionTime</c> × the times it has been ejected, unless more than
/// <c>maxEjectionPercent</c> of the cluster would be out (at least one may always be). Connection
/// failures and resets count as 503, as with Istio's default of not splitting local-origin errors.
/// Ejected endpoints return at the first detection interval after their time is up.
/// </summary>
internal sealed class OutlierDetector(TimeProvider time, MeshMetrics metrics)
{
    private readonly ConcurrentDictionary<(string Source, string Cluster), ClusterState> _clusters = new();
    private readonly DateTimeOffset _start = time.GetUtcNow();
    private readonly Lock _returning = new();
    private ITimer? _nextReturn;

    /// <summary>Raised when an endpoint is ejected, and when it returns (on the injected clock).</summary>
    public event Action? Changed;

    /// <summary>Every endpoint ejected now.</summary>
    public IReadOnlyList<Ejection> Ejections
    {
        get
        {
            var now = time.GetUtcNow();
            return [.. _clusters.SelectMany(pair => pair.Value.Ejections(pair.Key.Source, pair.Key.Cluster, now))];
        }
    }

    /// <summary>Records the outcome of one try to <paramref name="endpoint"/>.</summary>
    /// <param name="source">The calling workload.</param>
    /// <param name="cluster">The cluster the try went to.</param>
    /// <param name="endpoint">The endpoint tried.</param>
    /// <param name="status">The response status; null when the try failed without one.</param>
    public void Report(string source, Cluster cluster, UpstreamEndpoint endpoint, int? status)
    {
        if (cluster.OutlierDetection is not { } settings)
        {
            return;
        }

        // A failure without a response counts as a 503 (local-origin errors are not split).
        var code = status ?? 503;
        var state = _clusters.GetOrAdd((source, cluster.Name), _ => new ClusterState(metrics));
        if (state.Report(endpoint.Name, code, settings, cluster.Endpoints.Length, time.GetUtcNow(), _start, cluster.Name))
        {
            Changed?.Invoke();
            ScheduleReturn();
        }
    }

    /// <summary>Arms one timer, on the injected clock, for the earliest return of an ejected endpoint; it raises <see cref="Changed"/> then.</summary>
    private void ScheduleReturn()
    {
        lock (_returning)
        {
            _nextReturn?.Dispose();
            _nextReturn = null;
            if (Ejections is { Count: > 0 } ejections)
            {
                var due = ejections.Min(ejection => ejection.Until) - time.GetUtcNow();
                _nextReturn = time.CreateTimer(_ =>
                {
                    Changed?.Invoke();
                    ScheduleReturn();
                }, null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// The endpoints load balancing may use: all of them but the ejected, unless fewer than
    /// <c>minHealthPercent</c> would remain (then all of them, as Envoy's panic mode does).
    /// </summary>
    public IReadOnlyList<UpstreamEndpoint> Available(string source, Cluster cluster)
    {
        if (cluster.OutlierDetection is not { } settings || !_clusters.TryGetValue((source, cluster.Name), out var state))
        {
            return cluster.Endpoints;
        }

        var now = time.GetUtcNow();
        var available = state.AvailableAt(cluster.Endpoints, now);
        if (available.Count == cluster.Endpoints.Length)
        {
            return cluster.Endpoints;
        }

        var healthyPercent = 100.0 * available.Count / cluster.Endpoints.Length;
        // With none left and no panic threshold, the request gets "no healthy upstream", as in Envoy.
        return healthyPercent < (settings.MinHealthPercent ?? 0) ? cluster.Endpoints : available;
    }

    private sealed class ClusterState(MeshMetrics metrics)
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, HostState> _hosts = new(StringComparer.Ordinal);

        // When the last ejection in force ends (UTC ticks), read without the lock on every request.
        private long _ejectionsEnd;

        // The endpoints left by the ejections in force, until the first of them ends or another begins.
        private (ImmutableArray<UpstreamEndpoint> From, DateTimeOffset Until, IReadOnlyList<UpstreamEndpoint> Available)? _available;

        public bool Report(string endpoint, int status, OutlierDetection settings, int hosts, DateTimeOffset now, DateTimeOffset start, string cluster)
        {
            lock (_lock)
            {
                var host = _hosts.TryGetValue(endpoint, out var known) ? known : _hosts[endpoint] = new HostState();
                if (status < 500)
                {
                    host.Consecutive5xx = 0;
                    host.ConsecutiveGateway = 0;
                    return false;
                }

                host.Consecutive5xx++;
                host.ConsecutiveGateway = status is 502 or 503 or 504 ? host.ConsecutiveGateway + 1 : 0;
                var fiveXxLimit = settings.Consecutive5xxErrors ?? OutlierDetection.DefaultConsecutive5xxErrors;
                var gatewayLimit = settings.ConsecutiveGatewayErrors ?? 0;
                var kind = fiveXxLimit > 0 && host.Consecutive5xx >= fiveXxLimit ? "consecutive_5xx"
                    : gatewayLimit > 0 && host.ConsecutiveGateway >= gatewayLimit ? "consecutive_gateway_failure"
                    : null;
                if (kind is null || host.IsEjectedAt(now))
                {
                    return false;
                }

                host.Consecutive5xx = 0;
                host.ConsecutiveGateway = 0;
                var tags = new KeyValuePair<string, object?>[] { new(MeshTelemetry.Attributes.UpstreamCluster, cluster), new("type", kind) };
                metrics.EjectionsDetected.Add(1, tags);

                // Envoy may always eject one host, whatever the percentage.
                var ejected = _hosts.Values.Count(h => h.IsEjectedAt(now));
                var maxPercent = settings.MaxEjectionPercent ?? OutlierDetection.DefaultMaxEjectionPercent;
                if (ejected > 0 && 100.0 * (ejected + 1) / hosts > maxPercent)
                {
                    metrics.EjectionsOverflow.Add(1, tags);
                    return false;
                }

                host.Times++;
                var interval = settings.Interval ?? OutlierDetection.DefaultInterval;
                var duration = (settings.BaseEjectionTime ?? OutlierDetection.DefaultBaseEjectionTime) * host.Times;
                host.EjectedUntil = NextSweep(now + duration, start, interval);
                Volatile.Write(ref _ejectionsEnd, Math.Max(_ejectionsEnd, host.EjectedUntil.Value.UtcTicks));
                _available = null;
                metrics.EjectionsEnforced.Add(1, tags);
                return true;
            }
        }

        /// <summary>
        /// <paramref name="endpoints"/> without the ejected ones: the list itself while nothing is
        /// ejected, at no cost; otherwise computed once per change of the ejections in force.
        /// </summary>
        public IReadOnlyList<UpstreamEndpoint> AvailableAt(ImmutableArray<UpstreamEndpoint> endpoints, DateTimeOffset now)
        {
            if (now.UtcTicks >= Volatile.Read(ref _ejectionsEnd))
            {
                return endpoints;
            }

            lock (_lock)
            {
                if (_available is { } cached && cached.From == endpoints && now < cached.Until)
                {
                    return cached.Available;
                }

                var available = new List<UpstreamEndpoint>(endpoints.Length);
                var until = DateTimeOffset.MaxValue;
                foreach (var endpoint in endpoints)
                {
                    if (_hosts.TryGetValue(endpoint.Name, out var host) && host.IsEjectedAt(now))
                    {
                        until = host.EjectedUntil!.Value < until ? host.EjectedUntil.Value : until;
                    }
                    else
                    {
                        available.Add(endpoint);
                    }
                }

                _available = (endpoints, until, available);
                return available;
            }
        }

        public IEnumerable<Ejection> Ejections(string source, string cluster, DateTimeOffset now)
        {
            lock (_lock)
            {
                return [.. _hosts.Where(pair => pair.Value.IsEjectedAt(now))
                    .Select(pair => new Ejection(source, cluster, pair.Key, pair.Value.EjectedUntil!.Value, pair.Value.Times))];
            }
        }

        /// <summary>Ejected hosts are brought back by the detection sweep, which runs every interval.</summary>
        private static DateTimeOffset NextSweep(DateTimeOffset due, DateTimeOffset start, TimeSpan interval)
        {
            var sweeps = Math.Ceiling((due - start) / interval);
            return start + interval * sweeps;
        }
    }

    private sealed class HostState
    {
        public int Consecutive5xx;
        public int ConsecutiveGateway;
        public int Times;
        public DateTimeOffset? EjectedUntil;

        public bool IsEjectedAt(DateTimeOffset now) => EjectedUntil is { } until && now < until;
    }
}
