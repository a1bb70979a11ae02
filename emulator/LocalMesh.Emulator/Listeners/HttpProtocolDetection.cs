using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace LocalMesh.Emulator.Listeners;

/// <summary>
/// Which HTTP version a connection speaks, as Envoy's HTTP connection manager with
/// <c>codec_type: AUTO</c> decides it: over TLS the protocol ALPN negotiated; in plaintext HTTP/2
/// when the connection opens with HTTP/2's preface (prior knowledge, as <c>Grpc.Net.Client</c> sends
/// over <c>http://</c>), HTTP/1.1 otherwise. Kestrel only tells the two apart by ALPN, so a plaintext
/// connection that opens with the preface is handed to it as if ALPN had chosen <c>h2</c>.
/// </summary>
internal static class HttpProtocolDetection
{
    /// <summary>The first bytes of every HTTP/2 connection (RFC 9113 §3.4).</summary>
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>What sidecars offer each other and accept, in order of preference.</summary>
    public static readonly List<SslApplicationProtocol> ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    public static async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (connection.Features.Get<ITlsConnectionFeature>() is null && await OpensWithPrefaceAsync(connection))
        {
            var http2 = new NegotiatedProtocol(SslApplicationProtocol.Http2.Protocol);
            connection.Features.Set<ITlsApplicationProtocolFeature>(http2);
            connection.Features.Set<ITlsConnectionFeature>(http2);
        }

        await next(connection);
    }

    /// <summary>Records the protocol a TLS handshake negotiated, for Kestrel to choose its codec by.</summary>
    public static void SetNegotiated(ConnectionContext connection, SslStream tls, X509Certificate2? peer)
    {
        var protocol = new NegotiatedProtocol(tls.NegotiatedApplicationProtocol.Protocol) { ClientCertificate = peer };
        connection.Features.Set<ITlsApplicationProtocolFeature>(protocol);
        connection.Features.Set<ITlsConnectionFeature>(protocol);
    }

    /// <summary>Reads until the first bytes match the preface or differ from it; consumes nothing.</summary>
    private static async ValueTask<bool> OpensWithPrefaceAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(connection.ConnectionClosed);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
            {
                return false;
            }

            var buffer = read.Buffer;
            var length = (int)Math.Min(buffer.Length, Preface.Length);
            var matches = StartsLikePreface(buffer.Slice(0, length));
            if (!matches || length == Preface.Length || read.IsCompleted || read.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return matches && length == Preface.Length;
            }

            // A prefix of the preface so far: wait for more without consuming anything.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool StartsLikePreface(ReadOnlySequence<byte> start)
    {
        Span<byte> bytes = stackalloc byte[Preface.Length];
        start.CopyTo(bytes);
        return bytes[..(int)start.Length].SequenceEqual(Preface[..(int)start.Length]);
    }

    /// <summary>The application protocol of a connection, as Kestrel reads it from TLS's features.</summary>
    private sealed class NegotiatedProtocol(ReadOnlyMemory<byte> protocol) : ITlsApplicationProtocolFeature, ITlsConnectionFeature
    {
        public ReadOnlyMemory<byte> ApplicationProtocol { get; } = protocol;

        public X509Certificate2? ClientCertificate { get; set; }

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);
    }
}
