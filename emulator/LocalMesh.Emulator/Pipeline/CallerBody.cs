using LocalMesh.Emulator.Forwarding;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// The caller's request body as the sidecar reads it: any failure to read it becomes a
/// <see cref="DownstreamRequestException"/>, so it cannot be mistaken for the upstream's failure
/// while the body is being sent on. (Kestrel reports some framing errors, e.g. a chunk size that
/// overflows, as a plain <see cref="IOException"/>.)
/// </summary>
internal sealed class CallerBody(Stream body) : CallerBodyStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await body.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException ex)
        {
            throw new DownstreamRequestException(ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest, ex.Message, ex);
        }
    }
}

/// <summary>
/// A body streamed on as it is read, and kept while it fits <paramref name="limit"/>: once read to
/// its end whole, <paramref name="completed"/> gets it, so a retry can send it again.
/// </summary>
internal sealed class RecordingBody(Stream body, int limit, Action<byte[]> completed) : CallerBodyStream
{
    private MemoryStream? _kept = new();

    /// <summary>Whether anything was read: from then on the body cannot be streamed again.</summary>
    public bool Started { get; private set; }

    /// <summary>The bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Started = true;
        var read = await body.ReadAsync(buffer, cancellationToken);
        BytesRead += read;
        if (_kept is null)
        {
            return read;
        }

        if (read == 0)
        {
            completed(_kept.ToArray());
            _kept = null;
        }
        else if (_kept.Length + read > limit)
        {
            _kept = null;
        }
        else
        {
            _kept.Write(buffer.Span[..read]);
        }

        return read;
    }
}

/// <summary>A caller's body as the sidecar reads it: forward only, read asynchronously, never written.</summary>
internal abstract class CallerBodyStream : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The caller's body is read asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
