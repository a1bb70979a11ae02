using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.Sockets;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Connections;

namespace LocalMesh.Emulator.Listeners;

/// <summary>
/// The inbound sidecar's side of PeerAuthentication, at the connection: the first byte tells a
/// TLS handshake from plaintext. STRICT refuses plaintext, DISABLE refuses TLS, PERMISSIVE takes
/// both; TLS is TLS 1.3 with a client certificate that must chain to the mesh root and carry a
/// SPIFFE ID. The mode is read from the current snapshot for each new connection.
/// </summary>
internal sealed class MutualTlsConnectionMiddleware(MeshState state, WorkloadIdentities identities, TimeProvider time, MeshMetrics metrics)
{
    private const byte TlsHandshakeRecord = 0x16;

    /// <summary>
    /// How long a new connection has for its first byte and its TLS handshake: Envoy's default
    /// <c>listener_filters_timeout</c>, after which it closes the connection.
    /// </summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next, string listener)
    {
        if (!state.Snapshot.InboundSecurity.TryGetValue(listener, out var security))
        {
            await next(connection);
            return;
        }

        // Not linked to ConnectionClosed: it fires when the peer ends its sending, which may come right
        // behind its handshake and first bytes (a TCP caller that writes and half-closes); a peer that
        // hangs up ends the reads by itself.
        using var timeout = new CancellationTokenSource(HandshakeTimeout, time);
        int first;
        try
        {
            first = await FirstByteAsync(connection, timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The peer hung up, or sent nothing in time: nothing to serve and nothing wrong here.
            TimedOut(connection, listener, timeout);
            return;
        }

        if (first < 0)
        {
            return;
        }

        var isTls = first == TlsHandshakeRecord;
        if (isTls ? security.Mode == MutualTlsMode.Disable : security.Mode == MutualTlsMode.Strict)
        {
            metrics.ConnectionsRefused.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.Listener, listener));
            connection.Abort(new ConnectionAbortedException($"{security.Mode} refuses {(isTls ? "TLS" : "plaintext")}"));
            return;
        }

        if (!isTls)
        {
            await next(connection);
            return;
        }

        string? peer = null;
        // Over the socket itself where the mesh accepted it; over Kestrel's pipes elsewhere.
        var tls = connection is OwnSocketConnection socket
            ? new SslStream(socket.Stream, leaveInnerStreamOpen: true)
            : new SslStream(new DuplexPipeStream(connection.Transport), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = identities.Current(security.SpiffeId),
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13,
                ApplicationProtocols = HttpProtocolDetection.ApplicationProtocols,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => identities.Authority.TryValidate(certificate, out peer),
            }, timeout.Token);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            if (!timeout.IsCancellationRequested)
            {
                metrics.ConnectionsRefused.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.Listener, listener));
            }

            await tls.DisposeAsync();
            TimedOut(connection, listener, timeout);
            connection.Abort(new ConnectionAbortedException("mTLS handshake failed", ex));
            return;
        }

        connection.Features.Set(new PeerIdentity(peer!));
        HttpProtocolDetection.SetNegotiated(connection, tls, tls.RemoteCertificate as X509Certificate2);
        var plaintext = Secure(connection, tls);
        try
        {
            await next(connection);
        }
        finally
        {
            await tls.DisposeAsync();
            if (plaintext is not null)
            {
                connection.Transport = plaintext;
            }
        }
    }

    /// <summary>The stages after this one read TLS: the mesh's own connection as its stream, any other as pipes over it (the plaintext pipes are returned, to put back).</summary>
    private static IDuplexPipe? Secure(ConnectionContext connection, SslStream tls)
    {
        if (connection is OwnSocketConnection own)
        {
            own.Stream = tls;
            return null;
        }

        var plaintext = connection.Transport;
        connection.Transport = new TlsPipe(PipeReader.Create(tls), PipeWriter.Create(tls));
        return plaintext;
    }

    /// <summary>The first byte the caller sent, left to be read again by TLS or by HTTP; -1 when it ended without one.</summary>
    private static async Task<int> FirstByteAsync(ConnectionContext connection, CancellationToken cancellationToken)
    {
        if (connection is OwnSocketConnection { IsUntouched: true } own)
        {
            // Peeked on an event loop: the socket stays free for the TCP proxy's relay.
            return await own.PeekAsync(cancellationToken);
        }

        var input = connection.Transport.Input;
        var peek = await input.ReadAsync(cancellationToken);
        var first = peek.Buffer.IsEmpty ? -1 : peek.Buffer.FirstSpan[0];
        input.AdvanceTo(peek.Buffer.Start);
        return first;
    }

    /// <summary>A connection that ran out of time before its handshake finished is closed and counted.</summary>
    private void TimedOut(ConnectionContext connection, string listener, CancellationTokenSource timeout)
    {
        if (timeout.IsCancellationRequested)
        {
            metrics.ConnectionTimeouts.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.Listener, listener));
            connection.Abort(new ConnectionAbortedException($"no first byte and TLS handshake within {HandshakeTimeout.TotalSeconds:0} s"));
        }
    }

    private sealed record TlsPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
