using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;

namespace LocalMesh.Emulator.CircuitBreaking;

/// <summary>
/// Envoy's circuit breakers for <c>connectionPool</c>, kept per calling sidecar as each Envoy
/// keeps its own: per upstream host, connections (one request each over HTTP/1.1), requests
/// waiting for a connection and requests in flight (only those over HTTP/2); per cluster, retries outstanding.
/// </summary>
internal sealed class CircuitBreakers
{
    private readonly ConcurrentDictionary<(string Source, string Cluster, string Endpoint), HostPool> _hosts = new();
    private readonly ConcurrentDictionary<(string Source, string Cluster), StrongBox<int>> _retries = new();

    /// <summary>
    /// A place for one request to <paramref name="endpoint"/>: at once while a connection is
    /// free, after waiting while the pending queue has room, and null (overflow) otherwise.
    /// </summary>
    public ValueTask<HostLease?> AdmitAsync(string source, Cluster cluster, UpstreamEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (cluster.ConnectionPool is not { } pool)
        {
            return ValueTask.FromResult<HostLease?>(HostLease.Unlimited);
        }

        // Over HTTP/2 requests share connections: only the requests in flight are limited. A TCP
        // connection is its own request: over maxConnections it is closed, never queued.
        var limits = cluster.IsHttp2 ? new HostLimits(int.MaxValue, int.MaxValue, pool.Http?.Http2MaxRequests ?? int.MaxValue)
            : cluster.Protocol == ServiceProtocol.Tcp ? new HostLimits(pool.Tcp?.MaxConnections ?? int.MaxValue, 0, int.MaxValue)
            : new HostLimits(
                pool.Tcp?.MaxConnections ?? int.MaxValue,
                pool.Http?.Http1MaxPendingRequests ?? int.MaxValue,
                pool.Http?.Http2MaxRequests ?? int.MaxValue);
        return _hosts.GetOrAdd((source, cluster.Name, endpoint.Name), static _ => new HostPool()).AdmitAsync(limits, cancellationToken);
    }

    /// <summary>Whether one more retry may go out to <paramref name="cluster"/>; if so, <see cref="EndRetry"/> must follow.</summary>
    public bool TryBeginRetry(string source, Cluster cluster)
    {
        var limit = cluster.ConnectionPool?.Http?.MaxRetries ?? int.MaxValue;
        var outstanding = _retries.GetOrAdd((source, cluster.Name), static _ => new StrongBox<int>());
        if (Interlocked.Increment(ref outstanding.Value) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref outstanding.Value);
        return false;
    }

    public void EndRetry(string source, Cluster cluster)
    {
        if (_retries.TryGetValue((source, cluster.Name), out var outstanding))
        {
            Interlocked.Decrement(ref outstanding.Value);
        }
    }

    /// <summary>The requests waiting for a connection now, every sidecar's and host's (Envoy's <c>upstream_rq_pending_active</c>, summed).</summary>
    public int PendingRequests => _hosts.Values.Sum(host => host.Pending);

    internal readonly record struct HostLimits(int MaxConnections, int MaxPending, int MaxRequests);

    /// <summary>One upstream host as seen by one sidecar.</summary>
    internal sealed class HostPool
    {
        private readonly Lock _lock = new();
        private readonly Queue<TaskCompletionSource> _waiting = new();
        private int _connections;
        private int _pending;
        private int _active;

        /// <summary>The requests waiting for a connection to this host now.</summary>
        public int Pending => Volatile.Read(ref _pending);

        public async ValueTask<HostLease?> AdmitAsync(HostLimits limits, CancellationToken cancellationToken)
        {
            TaskCompletionSource waiter;
            lock (_lock)
            {
                if (_active >= limits.MaxRequests)
                {
                    return null;
                }

                if (_connections < limits.MaxConnections)
                {
                    _connections++;
                    _active++;
                    _pending++; // until its connection is established
                    return new HostLease(this);
                }

                // A request that holds a connection still being established counts as pending,
                // as in Envoy: that is where its leeway in Istio's circuit-breaking task comes from.
                if (_pending >= limits.MaxPending)
                {
                    return null;
                }

                _pending++;
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Enqueue(waiter);
            }

            try
            {
                await waiter.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                lock (_lock)
                {
                    if (!waiter.Task.IsCompleted)
                    {
                        waiter.TrySetCanceled(cancellationToken);
                        _pending--;
                        throw;
                    }
                }

                // The connection was handed over as the wait was cancelled: give it back.
                new HostLease(this).Dispose();
                throw;
            }

            return new HostLease(this);
        }

        public void Connected()
        {
            lock (_lock)
            {
                _pending--;
            }
        }

        public void Release()
        {
            lock (_lock)
            {
                _active--;
                while (_waiting.TryDequeue(out var next))
                {
                    // The connection passes straight to the next waiting request.
                    if (next.TrySetResult())
                    {
                        _active++;
                        return;
                    }
                }

                _connections--;
            }
        }
    }

    /// <summary>A request's place at one upstream host; disposing it frees the connection.</summary>
    internal sealed class HostLease : IDisposable
    {
        public static readonly HostLease Unlimited = new(null);

        private readonly HostPool? _pool;
        private int _connected;
        private int _disposed;

        public HostLease(HostPool? pool) => _pool = pool;

        /// <summary>The request's connection is established: it no longer counts as pending.</summary>
        public void Connected()
        {
            if (_pool is not null && Interlocked.Exchange(ref _connected, 1) == 0)
            {
                _pool.Connected();
            }
        }

        public void Dispose()
        {
            if (_pool is not null && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Connected();
                _pool.Release();
            }
        }
    }
}
