using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;
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
        var input = connection.Transport.Input;
        ReadResult peek;
        try
        {
            peek = await input.ReadAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The peer hung up, or sent nothing in time: nothing to serve and nothing wrong here.
            TimedOut(connection, listener, timeout);
            return;
        }

        if (peek.Buffer.IsEmpty && peek.IsCompleted)
        {
            return;
        }

        var isTls = peek.Buffer.FirstSpan[0] == TlsHandshakeRecord;
        // Nothing is consumed: the first bytes are read again by TLS or by HTTP.
        input.AdvanceTo(peek.Buffer.Start);

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
        var tls = new SslStream(new DuplexPipeStream(connection.Transport), leaveInnerStreamOpen: false);
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

        var plaintext = connection.Transport;
        connection.Transport = new TlsPipe(PipeReader.Create(tls), PipeWriter.Create(tls));
        connection.Features.Set(new PeerIdentity(peer!));
        HttpProtocolDetection.SetNegotiated(connection, tls, tls.RemoteCertificate as X509Certificate2);
        try
        {
            await next(connection);
        }
        finally
        {
            await tls.DisposeAsync();
            connection.Transport = plaintext;
        }
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
