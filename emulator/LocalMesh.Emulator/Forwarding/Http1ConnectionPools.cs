using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// The connections sidecars forward on: HTTP/1.1 keep-alive pools per calling workload, as each
/// Envoy sidecar has its own, so a connection never carries two identities; and per upstream and
/// security (plaintext, or mutual TLS proving one server identity), so a connection set up under
/// one PeerAuthentication is never used under another.
/// </summary>
internal sealed class Http1ConnectionPools : IDisposable
{
    /// <summary>How often idle connections are checked against their idle timeout and for a peer that closed them.</summary>
    public static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<PoolKey, ConnectionPool> _pools = new();
    private readonly UpstreamConnector _connector;
    private readonly TimeProvider _time;
    private readonly ITimer _sweep;
    private int _disposed;

    public Http1ConnectionPools(UpstreamConnector connector, TimeProvider time)
    {
        _connector = connector;
        _time = time;
        _sweep = time.CreateTimer(static state => ((Http1ConnectionPools)state!).Sweep(), this, SweepPeriod, SweepPeriod);
    }

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="target"/> on an idle connection of its
    /// pool or a new one, and returns the response head; its body is read from the result. A
    /// pooled connection the upstream closed while idle is replaced once, as HttpClient does,
    /// when nothing of the response arrived and the request can be sent again.
    /// </summary>
    /// <exception cref="HttpRequestException">The connection could not be made (<see cref="HttpRequestError.ConnectionError"/>,
    /// <see cref="HttpRequestError.SecureConnectionError"/>) or broke before a whole response head.</exception>
    public async ValueTask<Http1Response> SendAsync(UpstreamTarget target, Http1Request request, CancellationToken cancellationToken)
    {
        var pool = _pools.GetOrAdd(new PoolKey(target.Workload ?? "", target.Address, target.MutualTls?.ExpectedServer), static (key, time) => new ConnectionPool(key, time), _time);
        var idleTimeout = target.ConnectionPool?.Http?.IdleTimeout ?? HttpSettings.DefaultIdleTimeout;
        if (pool.IdleTimeout != idleTimeout)
        {
            pool.IdleTimeout = idleTimeout;
        }

        // A request that cannot be sent twice checks first that its connection is still open.
        var connection = pool.TakeIdle(checkAlive: !request.CanResend);
        if (connection is not null)
        {
            target.Connected?.Invoke();
        }

        while (true)
        {
            connection ??= await ConnectAsync(pool, target, cancellationToken);
            try
            {
                var head = await connection.SendAsync(request, cancellationToken);
                return new Http1Response(head, connection, request.ConnectionClose || Volatile.Read(ref _disposed) == 1 ? null : pool);
            }
            catch (Exception ex) when (connection.Reused && connection.ReceivedNothing && request.CanResend
                && ex is IOException or HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }
                && !cancellationToken.IsCancellationRequested)
            {
                // Closed while idle: once more on a new connection (which, not reused, gets no second chance).
                connection.Dispose();
                connection = null;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
    }

    private async ValueTask<Http1Connection> ConnectAsync(ConnectionPool pool, UpstreamTarget target, CancellationToken cancellationToken)
    {
        var (socket, stream, closed) = await _connector.ConnectAsync(target, pool.EndPoint, SslApplicationProtocol.Http11, cancellationToken);
        return new Http1Connection(socket, stream, closed);
    }

    private void Sweep()
    {
        foreach (var pool in _pools.Values)
        {
            pool.Sweep();
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        _sweep.Dispose();
        foreach (var pool in _pools.Values)
        {
            pool.Dispose();
        }
    }

    internal readonly record struct PoolKey(string Workload, Uri Address, string? ExpectedServer);

    /// <summary>The idle connections from one calling workload to one upstream, most recently used first.</summary>
    internal sealed class ConnectionPool(PoolKey key, TimeProvider time) : IDisposable
    {
        private readonly Lock _lock = new();
        private readonly Stack<(Http1Connection Connection, long IdleSince)> _idle = new();
        private bool _disposed;

        /// <summary>The destination's <c>connectionPool.http.idleTimeout</c>, as the latest request to it had it.</summary>
        public TimeSpan IdleTimeout { get; set; } = HttpSettings.DefaultIdleTimeout;

        public EndPoint EndPoint { get; } = UpstreamConnector.EndPointOf(key.Address);

        private bool IsTls => key.ExpectedServer is not null || key.Address.Scheme == Uri.UriSchemeHttps;

        /// <summary>
        /// The most recently used idle connection. Checking that the peer has not closed it costs a
        /// system call, so by default that is left to the sweep and to sending again on a new
        /// connection when a reused one turns out closed.
        /// </summary>
        public Http1Connection? TakeIdle(bool checkAlive)
        {
            while (true)
            {
                Http1Connection connection;
                lock (_lock)
                {
                    if (!_idle.TryPop(out var idle))
                    {
                        return null;
                    }

                    connection = idle.Connection;
                }

                if (!checkAlive || connection.IsAlive(IsTls))
                {
                    connection.Reused = true;
                    return connection;
                }

                connection.Dispose();
            }
        }

        public void Return(Http1Connection connection)
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    _idle.Push((connection, time.GetTimestamp()));
                    return;
                }
            }

            connection.Dispose();
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _disposed = true;
                while (_idle.TryPop(out var idle))
                {
                    idle.Connection.Dispose();
                }
            }
        }

        /// <summary>Closes the idle connections that outlived the idle timeout or that the peer closed.</summary>
        public void Sweep()
        {
            List<Http1Connection>? ended = null;
            lock (_lock)
            {
                if (_idle.Count == 0)
                {
                    return;
                }

                var kept = new List<(Http1Connection Connection, long IdleSince)>(_idle.Count);
                foreach (var idle in _idle)
                {
                    if (time.GetElapsedTime(idle.IdleSince) < IdleTimeout && idle.Connection.IsAlive(IsTls))
                    {
                        kept.Add(idle);
                    }
                    else
                    {
                        (ended ??= []).Add(idle.Connection);
                    }
                }

                if (ended is null)
                {
                    return;
                }

                _idle.Clear();
                for (var i = kept.Count - 1; i >= 0; i--)
                {
                    _idle.Push(kept[i]);
                }
            }

            foreach (var connection in ended)
            {
                connection.Dispose();
            }
        }
    }
}
