using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace LocalMesh.Emulator.Tcp;

/// <summary>
/// An HTTP/1.1 <c>CONNECT host:port</c> request (RFC 9110 §9.3.6), as a client sends it to its
/// proxy to open a tunnel (<c>HttpClient</c> through <c>HTTPS_PROXY</c>, <c>curl -x</c>): read off the
/// front of a connection, and answered before the tunnel carries bytes.
/// </summary>
internal sealed record ConnectRequest(string Host, int Port)
{
    /// <summary>Longer heads are no proxy request a client sends; they are left to the HTTP server, which refuses them.</summary>
    private const int MaxHeadLength = 16 * 1024;

    private static ReadOnlySpan<byte> Method => "CONNECT "u8;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>
    /// The tunnel a connection opens with, its head consumed; <c>null</c>, with nothing consumed,
    /// when it opens with anything else (or a CONNECT that is not well formed).
    /// </summary>
    public static async ValueTask<ConnectRequest?> ReadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
            {
                return null;
            }

            var buffer = read.Buffer;
            var start = buffer.Slice(0, Math.Min(buffer.Length, Method.Length)).ToArray();
            if (!Method.StartsWith(start) || read.IsCompleted || read.IsCanceled || buffer.Length > MaxHeadLength)
            {
                input.AdvanceTo(buffer.Start);
                return null;
            }

            var reader = new SequenceReader<byte>(buffer);
            if (start.Length == Method.Length && reader.TryReadTo(out ReadOnlySequence<byte> head, EndOfHead))
            {
                var tunnel = Parse(Encoding.ASCII.GetString(head));
                input.AdvanceTo(tunnel is null ? buffer.Start : reader.Position);
                return tunnel;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Tells the client whether its tunnel is open (200) or why not.</summary>
    public static async ValueTask AnswerAsync(PipeWriter output, int status)
    {
        var reason = status switch { 200 => "Connection established", 502 => "Bad Gateway", _ => "Service Unavailable" };
        var head = status == 200 ? $"HTTP/1.1 200 {reason}\r\n\r\n" : $"HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        await output.WriteAsync(Encoding.ASCII.GetBytes(head));
    }

    private static ConnectRequest? Parse(string head)
    {
        var line = head.Split("\r\n", 2)[0].Split(' ');
        if (line.Length != 3 || !line[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return null;
        }

        // authority-form: host:port, an IPv6 address in brackets.
        var authority = line[1];
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return null;
        }

        return new ConnectRequest(authority[..colon].Trim('[', ']'), port);
    }
}
