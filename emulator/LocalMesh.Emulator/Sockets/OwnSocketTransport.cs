using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace LocalMesh.Emulator.Sockets;

/// <summary>
/// Kestrel's transport for the TCP service ports' listeners (<see cref="TcpEndPoint"/>): it accepts
/// the connection and leaves its socket to the mesh (<see cref="OwnSocketConnection"/>), which moves
/// plaintext bytes on its own event loops (<see cref="SocketRelay"/>). Every other listener keeps
/// Kestrel's socket transport; so does every listener where the loops do not run (<see cref="EventLoop.IsSupported"/>).
/// </summary>
internal sealed class OwnSocketTransport : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is TcpEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var requested = (TcpEndPoint)endpoint;
        var socket = new Socket(requested.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(requested);
            socket.Listen(512);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new IOException($"Failed to bind to address {requested}: address already in use.", ex);
        }

        var bound = (IPEndPoint)socket.LocalEndPoint!;
        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, new TcpEndPoint(bound.Address, bound.Port)));
    }

    /// <summary>A TCP service port's address: bound by <see cref="OwnSocketTransport"/>.</summary>
    public sealed class TcpEndPoint(IPAddress address, int port) : IPEndPoint(address, port);

    private sealed class Listener(Socket socket, EndPoint endPoint) : IConnectionListener
    {
        public EndPoint EndPoint { get; } = endPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                try
                {
                    var accepted = await socket.AcceptAsync(cancellationToken);
                    accepted.NoDelay = true;
                    return new OwnSocketConnection(accepted);
                }
                catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException
                    || ex is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
                {
                    // Unbound: no more connections.
                    return null;
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // The caller reset it before it was accepted: the next one.
                }
                catch (SocketException)
                {
                    // Out of descriptors or memory for now: a moment, then the next one (as Kestrel's listener goes on).
                    await Task.Delay(TimeSpan.FromMilliseconds(10), CancellationToken.None);
                }
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// An accepted connection whose socket the mesh reads itself: the TCP proxy relays it on an event
/// loop, or — once a stage needs a stream (TLS) or pipes — it gets them over the socket as any
/// connection has (<see cref="Transport"/>), and the socket is then .NET's to wait on.
/// </summary>
internal sealed class OwnSocketConnection : ConnectionContext, IConnectionSocketFeature
{
    private readonly CancellationTokenSource _closed = new();
    private IDuplexPipe? _transport;
    private Stream? _stream;
    private SocketRelay? _relay;

    public OwnSocketConnection(Socket socket)
    {
        Socket = socket;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        Features.Set<IConnectionSocketFeature>(this);
        ConnectionClosed = _closed.Token;
    }

    public Socket Socket { get; }

    public override string ConnectionId { get; set; } = Guid.NewGuid().ToString("N");

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    /// <summary>Whether nothing has read the socket through .NET yet: it can go to an event loop.</summary>
    public bool IsUntouched => _transport is null && _stream is null;

    /// <summary>
    /// The connection as a stream: the socket's (from then on .NET's socket engine waits on it), or
    /// the TLS a stage runs over that (the inbound sidecar's mutual TLS).
    /// </summary>
    public Stream Stream
    {
        get => _stream ??= new NetworkStream(Socket, ownsSocket: false);
        set => _stream = value;
    }

    /// <summary>Pipes over <see cref="Stream"/>, for the stages that read a connection's pipes.</summary>
    public override IDuplexPipe Transport
    {
        get => _transport ??= new DuplexPipe(PipeReader.Create(Stream, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(Stream, new StreamPipeWriterOptions(leaveOpen: true)));
        set => _transport = value;
    }

    /// <summary>The relay moving this connection's bytes, ended by <see cref="Abort"/>.</summary>
    public void Relaying(SocketRelay relay) => _relay = relay;

    /// <summary>
    /// The first byte the caller sent (without taking it), or -1 when it ended without one; waits on
    /// an event loop, so the socket stays untouched by .NET.
    /// </summary>
    public Task<int> PeekAsync(CancellationToken cancellationToken) => EventLoop.Next().PeekAsync(Socket, cancellationToken);

    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (_relay is { } relay)
        {
            relay.Abort();
        }

        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Gone already.
        }

        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed: closed already.
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_transport is { } transport)
        {
            await transport.Input.CompleteAsync();
            await transport.Output.CompleteAsync();
        }

        Socket.Dispose();
        _closed.Cancel();
        _closed.Dispose();
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
