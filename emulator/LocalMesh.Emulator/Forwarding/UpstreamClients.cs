using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// The connections sidecars forward on: HTTP/1.1 keep-alive pools per calling workload, as each
/// Envoy sidecar has its own, so a connection never carries two identities; and per upstream and
/// security (plaintext, or mutual TLS proving one server identity), so a connection set up under
/// one PeerAuthentication is never used under another.
/// </summary>
internal sealed class UpstreamClients : IDisposable
{
    /// <summary>How often idle connections are checked against their idle timeout and for a peer that closed them.</summary>
    public static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<PoolKey, ConnectionPool> _pools = new();
    private readonly UpstreamConnector _connector;
    private readonly TimeProvider _time;
    private readonly ITimer _sweep;
    private int _disposed;

    public UpstreamClients(UpstreamConnector connector, TimeProvider time)
    {
        _connector = connector;
        _time = time;
        _sweep = time.CreateTimer(static state => ((UpstreamClients)state!).Sweep(), this, SweepPeriod, SweepPeriod);
    }

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="target"/> on an idle connection of its
    /// pool or a new one, and returns the response head; its body is read from the result. A
    /// pooled connection the upstream closed while idle is replaced once, as HttpClient does,
    /// when nothing of the response arrived and the request can be sent again.
    /// </summary>
    /// <exception cref="HttpRequestException">The connection could not be made (<see cref="HttpRequestError.ConnectionError"/>,
    /// <see cref="HttpRequestError.SecureConnectionError"/>) or broke before a whole response head.</exception>
    public async ValueTask<UpstreamResponse> SendAsync(UpstreamTarget target, UpstreamRequest request, CancellationToken cancellationToken)
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
                return new UpstreamResponse(head, connection, request.ConnectionClose || Volatile.Read(ref _disposed) == 1 ? null : pool);
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

    private async ValueTask<UpstreamConnection> ConnectAsync(ConnectionPool pool, UpstreamTarget target, CancellationToken cancellationToken)
    {
        var (socket, stream, closed) = await _connector.ConnectAsync(target, pool.EndPoint, SslApplicationProtocol.Http11, cancellationToken);
        return new UpstreamConnection(socket, stream, closed);
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
        private readonly Stack<(UpstreamConnection Connection, long IdleSince)> _idle = new();
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
        public UpstreamConnection? TakeIdle(bool checkAlive)
        {
            while (true)
            {
                UpstreamConnection connection;
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

        public void Return(UpstreamConnection connection)
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
            List<UpstreamConnection>? ended = null;
            lock (_lock)
            {
                if (_idle.Count == 0)
                {
                    return;
                }

                var kept = new List<(UpstreamConnection Connection, long IdleSince)>(_idle.Count);
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

/// <summary>Where one try goes and how to connect there.</summary>
/// <param name="Workload">The calling workload whose sidecar sends (null for an inbound sidecar's hop to its application).</param>
/// <param name="Address">The upstream: an inbound sidecar's or an application's <c>http://host:port</c>.</param>
/// <param name="MutualTls">Mutual TLS to the destination's inbound sidecar, or null for plaintext.</param>
/// <param name="ConnectionPool">The destination's <c>connectionPool</c> (its connect and idle timeouts); null for Istio's defaults.</param>
/// <param name="Connected">Called once the request has a connection (circuit breakers stop counting it as pending).</param>
internal sealed record UpstreamTarget(string? Workload, Uri Address, MutualTlsSettings? MutualTls = null, ConnectionPoolSettings? ConnectionPool = null, Action? Connected = null)
{
    /// <summary>The TLS a DestinationRule has the sidecar originate to a host outside the mesh (an <c>https</c> address), or null.</summary>
    public ClientTlsSettings? Tls { get; init; }

    /// <summary>The host the call is for: the server name (SNI) of originated TLS unless <see cref="Tls"/> names one.</summary>
    public string? Host { get; init; }
}

/// <summary>
/// A response head with its connection: the body is read with <see cref="CopyBodyAsync"/>;
/// disposing returns the connection to its pool when the whole body was read (or had arrived
/// whole, unread) and both sides keep it alive, and closes it otherwise.
/// </summary>
internal sealed class UpstreamResponse : IUpstreamResponse
{
    private readonly UpstreamConnection _connection;
    private readonly UpstreamClients.ConnectionPool? _pool;
    private bool _complete;
    private int _disposed;

    public UpstreamResponse(UpstreamResponseHead head, UpstreamConnection connection, UpstreamClients.ConnectionPool? pool)
    {
        Head = head;
        _connection = connection;
        _pool = head.KeepAlive ? pool : null;
        _complete = head.Framing == BodyFraming.None;
    }

    public UpstreamResponseHead Head { get; }

    public int StatusCode => Head.StatusCode;

    public int? GrpcStatus => Head.GrpcStatus;

    public Task<long> CopyToAsync(Microsoft.AspNetCore.Http.HttpContext context, CancellationToken cancellationToken) =>
        HttpProxy.CopyResponseAsync(context, this, cancellationToken);

    public Task DiscardAsync(CancellationToken cancellationToken) => CopyBodyAsync(destination: null, cancellationToken).AsTask();

    /// <summary>Streams the body to <paramref name="destination"/>, or reads it to nothing when null; its length.</summary>
    public async ValueTask<long> CopyBodyAsync(PipeWriter? destination, CancellationToken cancellationToken)
    {
        var length = await _connection.CopyBodyAsync(Head, destination, cancellationToken);
        _complete = true;
        return length;
    }

    /// <summary>Carries bytes both ways between <paramref name="downstream"/> and the upstream after a 101; the connection then closes, never pooled.</summary>
    public async Task<(long Received, long Sent)> TunnelAsync(Stream downstream, CancellationToken cancellationToken)
    {
        _complete = false;
        try
        {
            return await _connection.TunnelAsync(downstream, cancellationToken);
        }
        finally
        {
            _connection.Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_pool is not null && (_complete || _connection.TrySkipArrivedBody(Head)))
        {
            _pool.Return(_connection);
        }
        else
        {
            _connection.Dispose();
        }
    }
}
