using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Grpc;
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

    /// <summary>Envoy's reply when the route's cluster does not exist (its <c>cluster_not_found_response_code</c>, 503 by default), with no body.</summary>
    public static Task ClusterNotFound(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status503ServiceUnavailable, ResponseFlags.NoClusterFound, "");

    /// <summary>The Gateway API's reply for a backend that resolves to nothing (its conformance: 500), with no body.</summary>
    public static Task UnresolvedBackend(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status500InternalServerError, ResponseFlags.NoClusterFound, "");

    /// <summary>Istio's reply, under <c>REGISTRY_ONLY</c>, to a call for a host its registry does not have (the route to its <c>BlackHoleCluster</c>).</summary>
    public static Task BlackHole(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status502BadGateway, ResponseFlags.None, "");

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
        ? GrpcReply(context, request, GrpcCommon.StatusCode(grpcStatus), ResponseFlags.FaultInjected, "fault filter abort")
        : Reply(context, request, abort.HttpStatus, ResponseFlags.FaultInjected, "fault filter abort");

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

    /// <summary>The mesh's own reply to a gRPC caller: trailers-only, as Envoy's local replies are.</summary>
    private static Task GrpcReply(HttpContext context, MeshRequest request, string grpcStatus, ResponseFlags flag, string? message)
    {
        request.Flags |= flag;
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        GrpcCommon.WriteTrailersOnly(context.Response, grpcStatus, message);
        return Task.CompletedTask;
    }

    private static Task Reply(HttpContext context, MeshRequest request, int status, ResponseFlags flag, string body)
    {
        if (GrpcCommon.IsGrpc(context.Request) && !context.Response.HasStarted)
        {
            // A gRPC caller reads the outcome from grpc-status, not from the HTTP status.
            return GrpcReply(context, request, GrpcCommon.StatusFromHttp(status).ToString(System.Globalization.CultureInfo.InvariantCulture), flag, body.Length == 0 ? null : body);
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
