using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// A response head with its connection: the body is read with <see cref="CopyBodyAsync"/>;
/// disposing returns the connection to its pool when the whole body was read (or had arrived
/// whole, unread) and both sides keep it alive, and closes it otherwise.
/// </summary>
internal sealed class Http1Response : IUpstreamResponse
{
    private readonly Http1Connection _connection;
    private readonly Http1ConnectionPools.ConnectionPool? _pool;
    private bool _complete;
    private int _disposed;

    public Http1Response(Http1ResponseHead head, Http1Connection connection, Http1ConnectionPools.ConnectionPool? pool)
    {
        Head = head;
        _connection = connection;
        _pool = head.KeepAlive ? pool : null;
        _complete = head.Framing == BodyFraming.None;
    }

    public Http1ResponseHead Head { get; }

    public int StatusCode => Head.StatusCode;

    public int? GrpcStatus => Head.GrpcStatus;

    public Task<long> CopyToAsync(HttpContext context, CancellationToken cancellationToken) =>
        HttpProxy.CopyResponseAsync(context, this, cancellationToken);

    public Task DiscardAsync(CancellationToken cancellationToken) => CopyBodyAsync(destination: null, cancellationToken).AsTask();

    /// <summary>Streams the body to <paramref name="destination"/>, or reads it to nothing when null; its length.</summary>
    public async ValueTask<long> CopyBodyAsync(PipeWriter? destination, CancellationToken cancellationToken)
    {
        var length = await _connection.CopyBodyAsync(Head, destination, cancellationToken);
        _complete = true;
        return length;
    }

    public async Task<(long Received, long Sent)?> TryTunnelAsync(HttpContext context, CancellationToken cancellationToken) =>
        StatusCode == StatusCodes.Status101SwitchingProtocols && HttpProxy.IsUpgrade(context) ? await HttpProxy.TunnelAsync(context, this, cancellationToken) : null;

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
