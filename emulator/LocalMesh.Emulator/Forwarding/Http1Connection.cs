using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using LocalMesh.Emulator.Grpc;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// One HTTP/1.1 connection from a sidecar to an upstream (an inbound sidecar or an application):
/// writes a request, reads the response head and streams its body by the framing RFC 9112 §6
/// gives it (none, <c>Content-Length</c>, chunked, or until the connection closes). A connection
/// carries one request at a time and goes back to its pool only when the whole response was read
/// and both sides keep it alive.
/// </summary>
internal sealed class Http1Connection : IDisposable
{
    /// <summary>The longest response head accepted (HttpClient's default limit).</summary>
    public const int MaxResponseHeadLength = 64 * 1024;

    private const int BufferLength = 16 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Action? _closed;
    // Not pooled: a read still pending when a timeout closes the connection may yet write into it.
    private byte[] _buffer = new byte[BufferLength];
    private int _start;
    private int _end;
    private bool _unflushed;

    /// <summary>The body bytes of the response being copied.</summary>
    private long _copied;
    private int _disposed;

    /// <param name="socket">The connected socket, owned by the connection.</param>
    /// <param name="stream">The socket's stream, or TLS over it.</param>
    /// <param name="closed">Called once when the connection closes.</param>
    public Http1Connection(Socket socket, Stream stream, Action? closed)
    {
        _socket = socket;
        _stream = stream;
        _closed = closed;
    }

    /// <summary>Whether the connection served a request before (and may have been closed by the peer since).</summary>
    public bool Reused { get; set; }

    /// <summary>Whether no byte of a response has arrived for the request being sent (so the upstream cannot have answered it).</summary>
    public bool ReceivedNothing => _end == 0;

    /// <summary>
    /// Whether an idle connection can take a request: not closed by the peer. Unsolicited bytes
    /// on a plaintext connection also end it; over TLS they may be session tickets, which the
    /// next read takes care of.
    /// </summary>
    public bool IsAlive(bool tls)
    {
        try
        {
            return !_socket.Poll(0, SelectMode.SelectRead) || (tls && _socket.Available > 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Writes <paramref name="request"/> and reads the response head, skipping interim (1xx) responses.</summary>
    public async ValueTask<Http1ResponseHead> SendAsync(Http1Request request, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            // The previous response was read to its end: from here, ReceivedNothing speaks of this request.
            _start = _end = 0;
        }

        await _stream.WriteAsync(request.Start, cancellationToken);
        var body = request.Body;
        if (body.Streamed is { } streamed)
        {
            await CopyExactlyAsync(streamed, body.Length, cancellationToken);
        }
        else if (body.Length > 0)
        {
            await _stream.WriteAsync(body.Buffered, cancellationToken);
        }

        while (true)
        {
            var head = await ReadHeadAsync(request.ExpectsNoBody, cancellationToken);
            if (head.StatusCode is >= 100 and < 200 and not 101)
            {
                continue;
            }

            return head;
        }
    }

    /// <summary>Streams the response body to <paramref name="destination"/>, or discards it when there is none.</summary>
    public async ValueTask<long> CopyBodyAsync(Http1ResponseHead head, PipeWriter? destination, CancellationToken cancellationToken)
    {
        _copied = 0;
        switch (head.Framing)
        {
            case BodyFraming.None:
                break;
            case BodyFraming.ContentLength:
                await CopyLengthAsync(head.ContentLength, destination, cancellationToken);
                break;
            case BodyFraming.Chunked:
                await CopyChunkedAsync(destination, cancellationToken);
                break;
            default:
                while (_start < _end || await FillAsync(destination, cancellationToken) > 0)
                {
                    WriteBuffered(_end - _start, destination);
                }

                break;
        }

        return _copied;
    }

    /// <summary>
    /// After a 101: the bytes that came after the response head, then everything either side
    /// sends, each way, until one side closes its end or <paramref name="cancellationToken"/>
    /// fires; then both close. Returns the bytes received from the downstream and sent to it.
    /// </summary>
    public async Task<(long Received, long Sent)> TunnelAsync(Stream downstream, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long sent = 0, received = 0;
        async Task UpstreamToDownstreamAsync()
        {
            if (_end > _start)
            {
                await downstream.WriteAsync(_buffer.AsMemory(_start, _end - _start), done.Token);
                sent += _end - _start;
                _start = _end;
            }

            int read;
            while ((read = await _stream.ReadAsync(_buffer, done.Token)) > 0)
            {
                await downstream.WriteAsync(_buffer.AsMemory(0, read), done.Token);
                await downstream.FlushAsync(done.Token);
                sent += read;
            }
        }

        async Task DownstreamToUpstreamAsync()
        {
            var chunk = new byte[BufferLength];
            int read;
            while ((read = await downstream.ReadAsync(chunk, done.Token)) > 0)
            {
                await _stream.WriteAsync(chunk.AsMemory(0, read), done.Token);
                await _stream.FlushAsync(done.Token);
                received += read;
            }
        }

        var directions = new[] { UpstreamToDownstreamAsync(), DownstreamToUpstreamAsync() };
        try
        {
            await Task.WhenAny(directions);
        }
        finally
        {
            // One side closed (or the deadline came): the tunnel ends for both.
            await done.CancelAsync();
            try
            {
                await Task.WhenAll(directions);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }

        return (received, sent);
    }

    /// <summary>
    /// Skips an unread sized body that has already arrived whole (a retried 503's, say), so the
    /// connection can serve again without reading from the socket; false when it has not.
    /// </summary>
    public bool TrySkipArrivedBody(Http1ResponseHead head)
    {
        if (head.Framing != BodyFraming.ContentLength || _end - _start < head.ContentLength)
        {
            return false;
        }

        _start += (int)head.ContentLength;
        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stream.Dispose();
            _socket.Dispose();
            _closed?.Invoke();
        }
    }

    private async ValueTask CopyExactlyAsync(Stream source, long length, CancellationToken cancellationToken)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(BufferLength);
        try
        {
            while (length > 0)
            {
                var read = await source.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, length)), cancellationToken);
                if (read == 0)
                {
                    throw new IOException("The caller's request body ended before its Content-Length.");
                }

                await _stream.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
                length -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private async ValueTask<Http1ResponseHead> ReadHeadAsync(bool expectsNoBody, CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var end = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var length = scanned + end + 4;
                var head = ParseHead(_buffer.AsSpan(_start, length), expectsNoBody);
                _start += length;
                return head;
            }

            scanned = Math.Max(0, _end - _start - 3);
            if (_end - _start >= MaxResponseHeadLength)
            {
                throw new HttpRequestException(HttpRequestError.ConfigurationLimitExceeded, $"The response head exceeds {MaxResponseHeadLength} bytes.");
            }

            if (await FillAsync(cancellationToken) == 0)
            {
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The upstream closed the connection before a response.");
            }
        }
    }

    private static Http1ResponseHead ParseHead(ReadOnlySpan<byte> head, bool expectsNoBody)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = head[..lineEnd];
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out var consumed) || consumed != 3
            || (statusLine.Length > 12 && statusLine[12] != (byte)' '))
        {
            throw InvalidResponse("status line");
        }

        var http10 = statusLine[7] == (byte)'0';
        var reason = statusLine.Length > 13 ? Encoding.Latin1.GetString(statusLine[13..]) : null;
        var headers = new List<KeyValuePair<string, string>>(12);
        var keepAlive = !http10;
        long? contentLength = null;
        int? grpcStatus = null;
        var chunked = false;
        var transferEncoded = false;
        var rest = head[(lineEnd + 2)..^2];
        while (!rest.IsEmpty)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            var line = rest[..lineEnd];
            rest = rest[(lineEnd + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[colon - 1] == (byte)' ')
            {
                throw InvalidResponse("header");
            }

            var name = ResponseHeaderNames.Get(line[..colon]);
            var value = Encoding.Latin1.GetString(line[(colon + 1)..].Trim(" \t"u8));
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
                    || (contentLength is { } earlier && earlier != parsed))
                {
                    throw InvalidResponse("Content-Length");
                }

                contentLength = parsed;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                transferEncoded = true;
                chunked = value.AsSpan().TrimEnd().EndsWith("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals(GrpcCommon.StatusHeader, StringComparison.OrdinalIgnoreCase))
            {
                grpcStatus ??= GrpcCommon.ParseStatus(value);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                keepAlive = http10
                    ? value.Contains("keep-alive", StringComparison.OrdinalIgnoreCase)
                    : !value.Contains("close", StringComparison.OrdinalIgnoreCase);
            }

            headers.Add(new(name, value));
        }

        var framing = expectsNoBody || status is < 200 or 204 or 304 ? BodyFraming.None
            : transferEncoded ? chunked ? BodyFraming.Chunked : BodyFraming.UntilClose
            : contentLength is not null ? BodyFraming.ContentLength
            : BodyFraming.UntilClose;
        return new Http1ResponseHead(status, reason, headers, framing, contentLength ?? 0,
            keepAlive && framing != BodyFraming.UntilClose && status != 101, grpcStatus);
    }

    private async ValueTask CopyLengthAsync(long remaining, PipeWriter? destination, CancellationToken cancellationToken)
    {
        while (remaining > 0)
        {
            if (_start == _end && await FillAsync(destination, cancellationToken) == 0)
            {
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The upstream closed the connection before the end of the body.");
            }

            var count = (int)Math.Min(remaining, _end - _start);
            remaining -= count;
            WriteBuffered(count, destination);
        }
    }

    private async ValueTask CopyChunkedAsync(PipeWriter? destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = (await ReadLineAsync(destination, cancellationToken)).Span;
            var sizeEnd = line.IndexOfAny((byte)';', (byte)' ', (byte)'\t');
            var sizeText = sizeEnd < 0 ? line : line[..sizeEnd];
            if (!Utf8Parser.TryParse(sizeText, out long size, out var consumed, 'x') || consumed != sizeText.Length || size < 0)
            {
                throw InvalidResponse("chunk size");
            }

            _start += line.Length + 2;
            if (size == 0)
            {
                // Trailers, if any, end with an empty line; they are not forwarded.
                while ((await ReadLineAsync(destination, cancellationToken)).Length is var length && length > 0)
                {
                    _start += length + 2;
                }

                _start += 2;
                return;
            }

            await CopyLengthAsync(size, destination, cancellationToken);
            if ((await ReadLineAsync(destination, cancellationToken)).Length != 0)
            {
                throw InvalidResponse("chunk end");
            }

            _start += 2;
        }
    }

    /// <summary>The next line in the buffer (without its CRLF), reading more as needed; the caller consumes it.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> ReadLineAsync(PipeWriter? destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (end >= 0)
            {
                return _buffer.AsMemory(_start, end);
            }

            if (_end - _start >= 8 * 1024)
            {
                throw InvalidResponse("chunk line");
            }

            if (await FillAsync(destination, cancellationToken) == 0)
            {
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The upstream closed the connection inside a chunked body.");
            }
        }
    }

    /// <summary>Hands <paramref name="count"/> buffered bytes to the destination (unflushed until the next read).</summary>
    private void WriteBuffered(int count, PipeWriter? destination)
    {
        if (destination is not null && count > 0)
        {
            destination.Write(_buffer.AsSpan(_start, count));
            _unflushed = true;
        }

        _copied += count;
        _start += count;
    }

    /// <summary>
    /// Reads more bytes after the unread ones, making room first; 0 at the end of the stream.
    /// Whatever was handed to <paramref name="destination"/> is flushed before waiting for more, so
    /// the caller sees a streamed body as it comes, while a body that is all here already goes out
    /// with the end of the response in one write.
    /// </summary>
    private async ValueTask<int> FillAsync(PipeWriter? destination, CancellationToken cancellationToken)
    {
        if (_unflushed && destination is not null)
        {
            _unflushed = false;
            await destination.FlushAsync(cancellationToken);
        }

        return await FillAsync(cancellationToken);
    }

    /// <summary>Reads more bytes after the unread ones, making room first; 0 at the end of the stream.</summary>
    private async ValueTask<int> FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            var unread = _end - _start;
            if (_start == 0)
            {
                var larger = new byte[_buffer.Length * 2];
                _buffer.AsSpan(0, unread).CopyTo(larger);
                _buffer = larger;
            }
            else
            {
                _buffer.AsSpan(_start, unread).CopyTo(_buffer);
            }

            (_start, _end) = (0, unread);
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read;
    }

    private static HttpRequestException InvalidResponse(string part) =>
        new(HttpRequestError.InvalidResponse, $"The upstream's response has an invalid {part}.");
}

/// <summary>How a response body is delimited (RFC 9112 §6.3).</summary>
internal enum BodyFraming
{
    None,
    ContentLength,
    Chunked,
    UntilClose,
}

/// <summary>Header names read from responses, as shared strings for the common ones.</summary>
internal static class ResponseHeaderNames
{
    private static readonly string[] Common =
    [
        "Content-Length", "Content-Type", "Date", "Server", "Transfer-Encoding", "Connection", "Cache-Control",
        "Set-Cookie", "Location", "Content-Encoding", "ETag", "Last-Modified", "Vary", "Keep-Alive",
        "grpc-status", "grpc-message", "x-envoy-overloaded", "x-request-id", "traceparent",
    ];

    public static string Get(ReadOnlySpan<byte> name)
    {
        foreach (var common in Common)
        {
            if (common.Length == name.Length && Ascii.EqualsIgnoreCase(name, common))
            {
                return common;
            }
        }

        return Encoding.Latin1.GetString(name);
    }
}
