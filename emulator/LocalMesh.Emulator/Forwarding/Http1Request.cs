using System.Buffers;
using System.Text;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// One try's request as it goes on the wire: the HTTP/1.1 request head, serialized once from the
/// incoming request when the try is made, and its body. Disposing it returns the head's buffer.
/// </summary>
internal sealed class Http1Request : IDisposable
{
    private readonly int _length;
    private byte[]? _start;

    public Http1Request(byte[] start, int length, UpstreamBody body, bool expectsNoBody, bool connectionClose)
    {
        _start = start;
        _length = length;
        Body = body;
        ExpectsNoBody = expectsNoBody;
        ConnectionClose = connectionClose;
    }

    /// <summary>What is written first: the request line, the headers and the empty line, and a small body with them.</summary>
    public ReadOnlyMemory<byte> Start => _start.AsMemory(0, _length);

    /// <summary>The body written after <see cref="Start"/>: a large one, or one streamed from the caller; none when small.</summary>
    public UpstreamBody Body { get; }

    /// <summary>A <c>HEAD</c> request: its response has no body whatever its headers say.</summary>
    public bool ExpectsNoBody { get; }

    /// <summary>The request asks for <c>Connection: close</c>: its connection is not used again.</summary>
    public bool ConnectionClose { get; }

    /// <summary>Whether the request can be written again on another connection.</summary>
    public bool CanResend => Body.Streamed is null;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _start, null) is { } start)
        {
            ArrayPool<byte>.Shared.Return(start);
        }
    }
}

/// <summary>Writes an HTTP/1.1 request head into a pooled buffer that grows as needed.</summary>
internal sealed class RequestHeadWriter(int capacity) : IRequestHeaders
{
    /// <summary>The largest body written together with the head.</summary>
    private const int SmallBody = 4096;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(capacity);
    private int _length;

    public void Append(string text)
    {
        // Header values are ASCII from Kestrel; configured ones may not be, and travel as UTF-8.
        var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_buffer.Length - _length < needed)
        {
            Grow(needed);
        }

        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - _length < bytes.Length)
        {
            Grow(bytes.Length);
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void AppendHeader(string name, string value)
    {
        if (value.AsSpan().ContainsAny('\r', '\n'))
        {
            // A value that would split the head is not sent (HttpClient refuses it too).
            return;
        }

        Append(name);
        Append(": "u8);
        Append(value);
        Append("\r\n"u8);
    }

    void IRequestHeaders.Add(string name, string value) => AppendHeader(name, value);

    public Http1Request Complete(UpstreamBody body, bool expectsNoBody, bool connectionClose)
    {
        Append("\r\n"u8);
        if (body.Streamed is null && body.Length is > 0 and <= SmallBody)
        {
            // A small body goes out with the head, in one write; it stays replayable all the same.
            Append(body.Buffered.Span);
            body = UpstreamBody.None;
        }

        var request = new Http1Request(_buffer, _length, body, expectsNoBody, connectionClose);
        _buffer = [];
        return request;
    }

    private void Grow(int needed)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + needed));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
