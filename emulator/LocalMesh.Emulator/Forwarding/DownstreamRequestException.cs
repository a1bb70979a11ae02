namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// The caller's request body could not be read (malformed framing, a body over the listener's
/// limit, one cut short): the caller's fault, which the router answers itself and never holds
/// against the upstream.
/// </summary>
internal sealed class DownstreamRequestException(int statusCode, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Kestrel's status for the failure: 400, 408 or 413.</summary>
    public int StatusCode { get; } = statusCode;
}
