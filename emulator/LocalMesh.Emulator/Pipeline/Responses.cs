using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Serverless;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>The local replies Envoy gives when it does not forward, with their flags.</summary>
internal static class Responses
{
    public static Task NoHealthyUpstream(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status503ServiceUnavailable, ResponseFlags.NoHealthyUpstream, "no healthy upstream");

    public static Task Starting(HttpContext context, MeshRequest request, IReadOnlyList<string> waiting) =>
        Reply(context, request, StatusCodes.Status503ServiceUnavailable, ResponseFlags.NoHealthyUpstream,
            $"starting: waiting for {string.Join(", ", waiting)}");

    public static Task NoRoute(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status404NotFound, ResponseFlags.NoRouteFound, "");

    public static Task UpstreamConnectFailure(HttpContext context, MeshRequest request, string? transportFailure = null) =>
        Reply(context, request, StatusCodes.Status503ServiceUnavailable, ResponseFlags.UpstreamConnectionFailure,
            "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
            + (transportFailure is null ? "" : $", transport failure reason: {transportFailure}"));

    public static Task UpstreamReset(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status503ServiceUnavailable, ResponseFlags.UpstreamConnectionTermination,
            "upstream connect error or disconnect/reset before headers. reset reason: connection termination");

    /// <summary>
    /// The caller's request broke as it was read (<paramref name="failure"/>): 400 with
    /// DPE for a malformed body, 413 for one over the listener's limit, 408 with SI for one that
    /// stopped arriving; the connection cannot be read further, so it closes.
    /// </summary>
    public static Task DownstreamError(HttpContext context, MeshRequest request, DownstreamRequestException failure)
    {
        context.Response.Headers.Connection = "close";
        var (flag, details) = failure.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => (ResponseFlags.None, "request_payload_too_large"),
            StatusCodes.Status408RequestTimeout => (ResponseFlags.StreamIdleTimeout, "stream_idle_timeout"),
            _ => (ResponseFlags.DownstreamProtocolError, "http1.codec_error"),
        };
        return Reply(context, request, failure.StatusCode, flag, $"{details}: {failure.Message}");
    }

    public static Task Overflow(HttpContext context, MeshRequest request)
    {
        context.Response.Headers["x-envoy-overloaded"] = "true";
        return Reply(context, request, StatusCodes.Status503ServiceUnavailable, ResponseFlags.UpstreamOverflow,
            "upstream connect error or disconnect/reset before headers. reset reason: overflow");
    }

    public static Task ActivationFailed(HttpContext context, MeshRequest request, ActivationException failure) =>
        Reply(context, request, StatusCodes.Status503ServiceUnavailable,
            failure.Failure == ActivationFailure.QueueFull ? ResponseFlags.UpstreamOverflow : ResponseFlags.NoHealthyUpstream, failure.Message);

    /// <summary>
    /// A gRPC call to a service whose port speaks HTTP/1.1: it could only fail at the application
    /// (gRPC needs HTTP/2 and trailers), so the sidecar says why instead.
    /// </summary>
    public static Task GrpcToHttp1Port(HttpContext context, MeshRequest request, string service) =>
        Reply(context, request, StatusCodes.Status502BadGateway, ResponseFlags.UpstreamProtocolError,
            $"{service}'s port speaks HTTP/1.1, and a gRPC call needs HTTP/2: give its endpoint the name 'grpc' or the transport http2 (.AsHttp2Service()), as a Service port's appProtocol: grpc tells Istio");

    /// <summary>The RBAC filter's denial (no response flag; the policy is in the request's details).</summary>
    public static Task AccessDenied(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status403Forbidden, ResponseFlags.None, "RBAC: access denied");

    public static Task UpstreamTimeout(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status504GatewayTimeout, ResponseFlags.UpstreamRequestTimeout, "upstream request timeout");

    public static Task FaultAbort(HttpContext context, MeshRequest request, FaultAbort abort) => abort.GrpcStatus is { } grpcStatus
        ? GrpcReply(context, request, GrpcStatusCode(grpcStatus), ResponseFlags.FaultInjected, "fault filter abort")
        : Reply(context, request, abort.HttpStatus, ResponseFlags.FaultInjected, "fault filter abort");

    /// <summary>Whether the caller speaks gRPC (Envoy's test: a <c>content-type</c> of <c>application/grpc</c>, with or without a suffix).</summary>
    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (type.Length == "application/grpc".Length || type["application/grpc".Length] is '+' or ';');

    /// <summary>
    /// The gRPC status Envoy gives a local reply to a gRPC caller in place of
    /// <paramref name="httpStatus"/> (<c>Grpc::Utility::httpToGrpcStatus</c>, after gRPC's own
    /// HTTP-to-gRPC status mapping).
    /// </summary>
    public static int GrpcStatusOf(int httpStatus) => httpStatus switch
    {
        400 => 13, // INTERNAL
        401 => 16, // UNAUTHENTICATED
        403 => 7, // PERMISSION_DENIED
        404 => 12, // UNIMPLEMENTED
        429 or 502 or 503 or 504 => 14, // UNAVAILABLE
        _ => 2, // UNKNOWN
    };

    public static Task Redirect(HttpContext context, HttpRedirect redirect)
    {
        var incoming = context.Request;
        var host = redirect.Authority ?? incoming.Host.Host;
        var port = redirect.Port ?? (redirect.Authority is null ? incoming.Host.Port : null);
        var location = $"{redirect.Scheme ?? incoming.Scheme}://{host}{(port is null ? "" : $":{port}")}{redirect.Uri ?? incoming.Path.Value}{incoming.QueryString}";
        context.Response.StatusCode = redirect.RedirectCode;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    }

    /// <summary>
    /// A trailers-only gRPC response, as Envoy sends its local replies to gRPC callers: HTTP 200,
    /// the status and message in the headers, no body.
    /// </summary>
    private static Task GrpcReply(HttpContext context, MeshRequest request, string grpcStatus, ResponseFlags flag, string? message)
    {
        request.Flags |= flag;
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = grpcStatus;
        if (message is not null)
        {
            context.Response.Headers["grpc-message"] = PercentEncode(message);
        }

        return Task.CompletedTask;
    }

    /// <summary>grpc-message's encoding (gRPC over HTTP/2, "Responses"): UTF-8, with bytes outside printable ASCII and '%' percent-encoded.</summary>
    private static string PercentEncode(string message)
    {
        var encoded = new System.Text.StringBuilder(message.Length);
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }

    private static string GrpcStatusCode(string status) => status.ToUpperInvariant() switch
    {
        "CANCELLED" => "1", "UNKNOWN" => "2", "INVALID_ARGUMENT" => "3", "DEADLINE_EXCEEDED" => "4", "NOT_FOUND" => "5",
        "ALREADY_EXISTS" => "6", "PERMISSION_DENIED" => "7", "RESOURCE_EXHAUSTED" => "8", "FAILED_PRECONDITION" => "9",
        "ABORTED" => "10", "OUT_OF_RANGE" => "11", "UNIMPLEMENTED" => "12", "INTERNAL" => "13", "UNAVAILABLE" => "14",
        "DATA_LOSS" => "15", "UNAUTHENTICATED" => "16", var numeric => numeric,
    };

    private static Task Reply(HttpContext context, MeshRequest request, int status, ResponseFlags flag, string body)
    {
        if (IsGrpc(context.Request) && !context.Response.HasStarted)
        {
            // A gRPC caller reads the outcome from grpc-status, not from the HTTP status.
            return GrpcReply(context, request, GrpcStatusOf(status).ToString(System.Globalization.CultureInfo.InvariantCulture), flag, body.Length == 0 ? null : body);
        }

        request.Flags |= flag;
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        if (body.Length == 0)
        {
            return Task.CompletedTask;
        }

        context.Response.ContentType = "text/plain";
        context.Response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(body);
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
