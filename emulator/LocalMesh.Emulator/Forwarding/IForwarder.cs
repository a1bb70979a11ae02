using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// Sends one try of the caller's request upstream over one protocol: the seam between the router,
/// which decides where and how often, and the wire. One implementation per upstream protocol.
/// </summary>
internal interface IForwarder
{
    /// <summary>
    /// Whether a body of unknown length is sent on as it arrives (HTTP/2: a gRPC call's stream of
    /// messages) rather than read whole first.
    /// </summary>
    bool StreamsUnknownLength { get; }

    /// <summary>
    /// Sends the caller's request (<paramref name="context"/>) with <paramref name="body"/> to
    /// <paramref name="target"/> and returns once the response head arrived; its body is then copied
    /// with <see cref="IUpstreamResponse.CopyToAsync"/>.
    /// </summary>
    /// <param name="context">The caller's request, whose method, path and headers are sent.</param>
    /// <param name="body">The body to send: buffered (replayable) or streamed once from the caller.</param>
    /// <param name="target">Where the try goes and how to connect there.</param>
    /// <param name="attempt">The try's number, written as <c>x-envoy-attempt-count</c> by outbound sidecars; null for the inbound hop.</param>
    /// <param name="authority">The authority to send, when not the caller's (a mirror's <c>-shadow</c>).</param>
    /// <param name="cancellationToken">The try's deadline, and the caller going away.</param>
    /// <exception cref="HttpRequestException">No connection could be made (<see cref="HttpRequestError.ConnectionError"/>,
    /// <see cref="HttpRequestError.SecureConnectionError"/>), or it broke before a response head.</exception>
    /// <exception cref="IOException">The connection or stream was reset before a response head.</exception>
    ValueTask<IUpstreamResponse> SendAsync(HttpContext context, UpstreamBody body, UpstreamTarget target, int? attempt, string? authority, CancellationToken cancellationToken);
}

/// <summary>An upstream's response head, with its body and trailers still to be copied to the caller.</summary>
internal interface IUpstreamResponse : IDisposable
{
    int StatusCode { get; }

    /// <summary>The <c>grpc-status</c> of the response head (a trailers-only gRPC response), for retry conditions such as <c>unavailable</c>.</summary>
    int? GrpcStatus { get; }

    /// <summary>Writes the status, headers, body (streamed, as it arrives) and trailers to the caller's response; the body's length.</summary>
    Task<long> CopyToAsync(HttpContext context, CancellationToken cancellationToken);

    /// <summary>Reads the body to nothing (a mirror's response).</summary>
    Task DiscardAsync(CancellationToken cancellationToken);

    /// <summary>
    /// When the upstream switched protocols for the caller's upgrade (a WebSocket: 101, which only
    /// HTTP/1.1 has), carries the upgraded connection both ways until either end closes it, and
    /// returns the bytes received from the caller and sent to it; null, at once, for any other response.
    /// </summary>
    Task<(long Received, long Sent)?> TryTunnelAsync(HttpContext context, CancellationToken cancellationToken);
}
