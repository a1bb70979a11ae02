using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Connections;

namespace LocalMesh.Emulator.Security;

/// <summary>The peer's identity on a connection that arrived over mutual TLS.</summary>
/// <param name="SpiffeId">The SPIFFE ID from the peer's certificate.</param>
internal sealed record PeerIdentity(string SpiffeId);

/// <summary>
/// The inbound sidecar's side of PeerAuthentication, at the connection: the first byte tells a
/// TLS handshake from plaintext. STRICT refuses plaintext, DISABLE refuses TLS, PERMISSIVE takes
/// both; TLS is TLS 1.3 with a client certificate that must chain to the mesh root and carry a
/// SPIFFE ID. The mode is read from the current snapshot for each new connection.
/// </summary>
internal sealed class MutualTlsConnectionMiddleware(MeshState state, WorkloadIdentities identities)
{
    private const byte TlsHandshakeRecord = 0x16;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next, string listener)
    {
        if (!state.Snapshot.InboundSecurity.TryGetValue(listener, out var security))
        {
            await next(connection);
            return;
        }

        var input = connection.Transport.Input;
        ReadResult peek;
        try
        {
            peek = await input.ReadAsync(connection.ConnectionClosed);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The peer hung up before its first byte: nothing to serve and nothing wrong here.
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
            MeshTelemetry.ConnectionsRefused.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.Listener, listener));
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
                RemoteCertificateValidationCallback = (_, certificate, _, _) => identities.Authority.TryValidate(certificate, out peer),
            }, connection.ConnectionClosed);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            MeshTelemetry.ConnectionsRefused.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.Listener, listener));
            await tls.DisposeAsync();
            connection.Abort(new ConnectionAbortedException("mTLS handshake failed", ex));
            return;
        }

        var plaintext = connection.Transport;
        connection.Transport = new TlsPipe(PipeReader.Create(tls), PipeWriter.Create(tls));
        connection.Features.Set(new PeerIdentity(peer!));
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

    private sealed record TlsPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
