namespace LocalMesh.Emulator.Forwarding;

/// <summary>A response's status line and headers as the upstream sent them, with what the proxy reads of them.</summary>
/// <param name="StatusCode">The final status (interim 1xx responses are skipped).</param>
/// <param name="ReasonPhrase">The status line's reason, when it has one.</param>
/// <param name="Headers">The headers in the order they came, repeats included.</param>
/// <param name="Framing">How the body is delimited.</param>
/// <param name="ContentLength">The body's length when <paramref name="Framing"/> is <see cref="BodyFraming.ContentLength"/>.</param>
/// <param name="KeepAlive">Whether the connection can serve another request once the body is read.</param>
/// <param name="GrpcStatus">The first <c>grpc-status</c> header, for retry conditions such as <c>unavailable</c>.</param>
internal sealed record Http1ResponseHead(
    int StatusCode, string? ReasonPhrase, IReadOnlyList<KeyValuePair<string, string>> Headers, BodyFraming Framing, long ContentLength, bool KeepAlive,
    int? GrpcStatus);
