using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// The HTTP clients sidecars forward with: one connection pool per calling workload, as each
/// Envoy sidecar has its own, so connections never carry two identities.
/// </summary>
internal sealed class UpstreamClients(PeerRegistry peers) : IDisposable
{
    /// <summary>Istio's <c>connectionPool.tcp.connectTimeout</c> default.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _clients = new(StringComparer.Ordinal);

    /// <summary>The client for <paramref name="workload"/>'s sidecar, or the inbound client for <c>null</c>.</summary>
    public HttpMessageInvoker For(string? workload) => _clients.GetOrAdd(workload ?? "", Create);

    private HttpMessageInvoker Create(string workload) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = DefaultConnectTimeout,
        // The telemetry stage owns trace context; the handler must not inject its own.
        ActivityHeadersPropagator = null,
        ConnectCallback = workload.Length == 0 ? null : (context, cancellationToken) => ConnectAsync(workload, context, cancellationToken),
    });

    private async ValueTask<Stream> ConnectAsync(string workload, SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
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
