using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// The HTTP clients sidecars forward with: one connection pool per calling workload, as each
/// Envoy sidecar has its own, so connections never carry two identities.
/// </summary>
internal sealed class UpstreamClients(PeerRegistry peers, TimeProvider time) : IDisposable
{
    /// <summary>Called once the connection a request opened is established (circuit breakers stop counting it as pending).</summary>
    public static readonly HttpRequestOptionsKey<Action> ConnectedOption = new("localmesh.connected");

    /// <summary>Mutual TLS to the destination's inbound sidecar: the caller's certificate and the identity the server must prove.</summary>
    public static readonly HttpRequestOptionsKey<MutualTlsSettings> MutualTlsOption = new("localmesh.mtls");

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

        Stream stream;
        if (workload.Length == 0)
        {
            stream = new NetworkStream(socket, ownsSocket: true);
        }
        else
        {
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            peers.Register(port, workload);
            stream = new RegisteredStream(socket, () => peers.Unregister(port));
        }

        return options.TryGetValue(MutualTlsOption, out var mutualTls)
            ? await AuthenticateAsync(stream, mutualTls, linked.Token)
            : stream;
    }

    /// <summary>TLS 1.3 with the caller's certificate; the server must chain to the mesh root and be the expected workload (secure naming).</summary>
    private static async Task<Stream> AuthenticateAsync(Stream stream, MutualTlsSettings settings, CancellationToken cancellationToken)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "outbound",
                ClientCertificates = [settings.ClientCertificate],
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    settings.Authority.TryValidate(certificate, out var server) && server == settings.ExpectedServer,
            }, cancellationToken);
            return tls;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await tls.DisposeAsync();
            throw new HttpRequestException(HttpRequestError.SecureConnectionError, $"TLS error: {ex.Message}", ex);
        }
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

/// <summary>How an outbound sidecar connects to a destination over mutual TLS.</summary>
/// <param name="Authority">The mesh root the server must chain to.</param>
/// <param name="ClientCertificate">The calling workload's current certificate.</param>
/// <param name="ExpectedServer">The SPIFFE ID the destination must present.</param>
internal sealed record MutualTlsSettings(MeshCertificateAuthority Authority, X509Certificate2 ClientCertificate, string ExpectedServer);
