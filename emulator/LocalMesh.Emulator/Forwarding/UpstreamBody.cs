namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// A request body for one send: buffered (and so replayable, for retries and mirrors) or streamed
/// once from the caller; <see cref="None"/> when the request has none.
/// </summary>
internal readonly record struct UpstreamBody(ReadOnlyMemory<byte> Buffered, Stream? Streamed, long Length)
{
    public static readonly UpstreamBody None = new(ReadOnlyMemory<byte>.Empty, null, 0);

    public static UpstreamBody From(byte[] buffered) => new(buffered, null, buffered.Length);
}
