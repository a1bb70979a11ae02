using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// The HTTP clients sidecars forward with: one connection pool per calling workload, as each
/// Envoy sidecar has its own, so connections never carry two identities.
/// </summary>
internal sealed class UpstreamClients(PeerRegistry peers, TimeProvider time) : IDisposable
{
    /// <summary>Called once the connection a request opened is established (circuit breakers stop counting it as pending).</summary>
    public static readonly HttpRequestOptionsKey<Action> ConnectedOption = new("localmesh.connected");

    /// <summary>The destination's <c>connectionPool.tcp.connectTimeout</c>.</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutOption = new("localmesh.connect-timeout");

    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _clients = new(StringComparer.Ordinal);

    /// <summary>The client for <paramref name="workload"/>'s sidecar, or the inbound client for <c>null</c>.</summary>
    public HttpMessageInvoker For(string? workload) => _clients.GetOrAdd(workload ?? "", Create);

    private HttpMessageInvoker Create(string workload) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        // The telemetry stage owns trace context; the handler must not inject its own.
        ActivityHeadersPropagator = null,
        ConnectCallback = (context, cancellationToken) => ConnectAsync(workload, context, cancellationToken),
    });

    private async ValueTask<Stream> ConnectAsync(string workload, SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var options = context.InitialRequestMessage.Options;
        var timeout = options.TryGetValue(ConnectTimeoutOption, out var configured) ? configured : TcpSettings.DefaultConnectTimeout;
        using var connectTimeout = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectTimeout.Token);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, linked.Token);
        }
        catch (OperationCanceledException) when (connectTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"connect timeout ({timeout.TotalMilliseconds} ms)");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        if (options.TryGetValue(ConnectedOption, out var connected))
        {
            connected();
        }

        if (workload.Length == 0)
        {
            return new NetworkStream(socket, ownsSocket: true);
        }

        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        peers.Register(port, workload);
        return new RegisteredStream(socket, () => peers.Unregister(port));
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private sealed class RegisteredStream(Socket socket, Action unregister) : NetworkStream(socket, ownsSocket: true)
    {
        private int _disposed;

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                unregister();
            }

            base.Dispose(disposing);
        }
    }
}
