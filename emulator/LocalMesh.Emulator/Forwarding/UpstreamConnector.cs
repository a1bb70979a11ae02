using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// Opens a sidecar's connection to an upstream, whatever protocol then runs on it: TCP within the
/// destination's connect timeout, the calling workload recorded against the connection's port (so
/// the inbound sidecar knows its peer), then mutual TLS to another sidecar or TLS to an application
/// that serves HTTPS only.
/// </summary>
internal sealed class UpstreamConnector(PeerRegistry peers, TimeProvider time)
{
    /// <summary>
    /// A plaintext connection to a loopback address made without .NET's socket engine, so that an
    /// event loop can own the socket (<see cref="Sockets.SocketRelay"/>): connected on that loop,
    /// within the destination's connect timeout. Null when <paramref name="target"/> is not one (TLS,
    /// another host). <c>Closed</c> must be called once the connection is closed.
    /// </summary>
    /// <exception cref="HttpRequestException">The connection failed (<see cref="HttpRequestError.ConnectionError"/>).</exception>
    public async ValueTask<(Socket Socket, Action? Closed)?> ConnectOnLoopbackAsync(UpstreamTarget target, EndPoint endPoint)
    {
        if (target.MutualTls is not null || target.Address.Scheme == Uri.UriSchemeHttps || endPoint is not IPEndPoint ip || !IPAddress.IsLoopback(ip.Address))
        {
            return null;
        }

        var timeout = ConnectTimeoutOf(target);
        using var connectTimeout = new CancellationTokenSource(timeout, time);
        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await Sockets.EventLoop.Next().ConnectAsync(socket, ip, connectTimeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                ex is SocketException failed ? $"{failed.Message} ({endPoint})" : $"connect timeout ({timeout.TotalMilliseconds} ms)", ex);
        }

        return (socket, Connected(socket, target));
    }

    /// <summary>The destination's <c>connectionPool.tcp.connectTimeout</c>, Istio's 10 s without one.</summary>
    private static TimeSpan ConnectTimeoutOf(UpstreamTarget target) => target.ConnectionPool?.Tcp?.ConnectTimeout ?? Configuration.TcpSettings.DefaultConnectTimeout;

    /// <summary>A connection made: the target told, and the calling workload recorded against its port (the inbound sidecar knows which sidecar called by it).</summary>
    private Action? Connected(Socket socket, UpstreamTarget target)
    {
        target.Connected?.Invoke();
        return target.Workload is { } workload ? peers.Register(((IPEndPoint)socket.LocalEndPoint!).Port, workload) : null;
    }

    /// <summary>The extension ASP.NET Core puts on its HTTPS development certificate (<c>dotnet dev-certs https</c>).</summary>
    private const string AspNetCoreDevelopmentCertificateOid = "1.3.6.1.4.1.311.84.1.1";

    public static EndPoint EndPointOf(Uri address) => IPAddress.TryParse(address.Host, out var ip)
        ? new IPEndPoint(ip, address.Port)
        : new DnsEndPoint(address.Host, address.Port);

    /// <summary>
    /// Connects to <paramref name="endPoint"/> for <paramref name="target"/>, offering
    /// <paramref name="protocol"/> by ALPN when the connection is TLS (none for opaque TCP). <c>Closed</c> must be called
    /// once the connection is closed.
    /// </summary>
    /// <exception cref="HttpRequestException">The connection or its handshake failed
    /// (<see cref="HttpRequestError.ConnectionError"/>, <see cref="HttpRequestError.SecureConnectionError"/>).</exception>
    public async ValueTask<(Socket Socket, Stream Stream, Action? Closed)> ConnectAsync(
        UpstreamTarget target, EndPoint endPoint, SslApplicationProtocol? protocol, CancellationToken cancellationToken)
    {
        var timeout = ConnectTimeoutOf(target);
        using var connectTimeout = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectTimeout.Token);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, linked.Token);
        }
        catch (OperationCanceledException) when (connectTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"connect timeout ({timeout.TotalMilliseconds} ms)");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"{ex.Message} ({endPoint})", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var closed = Connected(socket, target);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            if (target.MutualTls is { } mutualTls)
            {
                stream = await AuthenticateAsync(stream, mutualTls, protocol, linked.Token);
            }
            else if (target.Address.Scheme == Uri.UriSchemeHttps)
            {
                stream = target.Tls is { } tls
                    ? await OriginateTlsAsync(stream, tls, tls.Sni ?? target.Host ?? target.Address.Host, protocol, linked.Token)
                    : await OriginateTlsAsync(stream, protocol, linked.Token);
            }
        }
        catch
        {
            socket.Dispose();
            closed?.Invoke();
            throw;
        }

        return (socket, stream, closed);
    }

    /// <summary>
    /// TLS to an application that serves HTTPS only, from its own inbound sidecar: the server must
    /// be trusted by this machine, or be ASP.NET Core's development certificate for localhost, which
    /// is what such an application serves on a laptop and is often not trusted on Linux.
    /// </summary>
    private static async Task<Stream> OriginateTlsAsync(Stream stream, SslApplicationProtocol? protocol, CancellationToken cancellationToken)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ApplicationProtocols = protocol is { } offered ? [offered] : null,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => errors == SslPolicyErrors.None
                    || (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is X509Certificate2 server
                        && server.Extensions[AspNetCoreDevelopmentCertificateOid] is not null),
            }, cancellationToken);
            return tls;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await tls.DisposeAsync();
            throw new HttpRequestException(HttpRequestError.SecureConnectionError,
                $"TLS error to the application: {ex.Message} Trust its certificate (dotnet dev-certs https --trust), or give it an HTTP endpoint for its sidecar.", ex);
        }
    }

    /// <summary>
    /// TLS origination to a host outside the mesh (a DestinationRule's <c>tls.mode: SIMPLE</c>):
    /// <paramref name="serverName"/> as SNI, and the server's certificate checked for it against the
    /// machine's trusted roots, or only against <c>caCertificates</c> when the rule names a file.
    /// </summary>
    private static async Task<Stream> OriginateTlsAsync(Stream stream, ClientTlsSettings settings, string serverName, SslApplicationProtocol? protocol, CancellationToken cancellationToken)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                ApplicationProtocols = protocol is { } offered ? [offered] : null,
            };
            if (settings.InsecureSkipVerify)
            {
                options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            }
            else if (settings.CaCertificates is { } file)
            {
                var roots = new X509Certificate2Collection();
                roots.ImportFromPemFile(file);
                options.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust };
                options.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
            }

            await tls.AuthenticateAsClientAsync(options, cancellationToken);
            return tls;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or System.Security.Cryptography.CryptographicException)
        {
            await tls.DisposeAsync();
            throw new HttpRequestException(HttpRequestError.SecureConnectionError, $"TLS error to {serverName}: {ex.Message}", ex);
        }
    }

    /// <summary>TLS 1.3 with the caller's certificate; the server must chain to the mesh root and be the expected workload (secure naming).</summary>
    private static async Task<Stream> AuthenticateAsync(Stream stream, MutualTlsSettings settings, SslApplicationProtocol? protocol, CancellationToken cancellationToken)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "outbound",
                ClientCertificates = [settings.ClientCertificate],
                EnabledSslProtocols = SslProtocols.Tls13,
                ApplicationProtocols = protocol is { } offered ? [offered] : null,
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
}
