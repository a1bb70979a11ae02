using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.Serverless;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// Decides where a request goes. Inbound: the application behind the sidecar. Everything else:
/// the destination service's first matching route (404 NR when none), its redirect, rewrite and
/// header changes, and one of its weighted destinations.
/// </summary>
internal sealed class RoutingStage(RequestDelegate next, IMeshRandom random)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        var listener = request.Listener;
        if (listener.Kind == ListenerKind.Inbound)
        {
            var workload = request.Snapshot.Workloads[listener.Workload!];
            request.DestinationService = workload.Service;
            // A function's instances come and go: the activator picks one in the router stage.
            if (workload.Scaling is null)
            {
                if (!request.Snapshot.Applications.TryGetValue(listener.Name, out var application))
                {
                    return Responses.NoHealthyUpstream(context, request);
                }

                request.Application = application;
            }

            ForwardClientCertificate(context.Request.Headers, request);
            return next(context);
        }

        request.DestinationService = listener.Destination;
        // An ingress gateway that Gateways select serves what their VirtualServices route for the request's host, and nothing else.
        var table = request.Snapshot.GatewayRoutes.TryGetValue(listener.Name, out var gateway) ? gateway.For(context.Request.Host.Host)
            : listener.Destination is { } service ? request.Snapshot.Routes[service]
            : null;
        if (table is null)
        {
            return Responses.NoRoute(context, request);
        }

        var sourceLabels = request.Snapshot.Workloads.TryGetValue(request.SourceWorkload, out var source) ? source.Labels : NoLabels.Instance;
        if (table.Match(context.Request, new MatchContext(sourceLabels, table.Port)) is not var (route, matcher))
        {
            return Responses.NoRoute(context, request);
        }

        request.Route = route;
        var config = route.Config;
        Apply(config.Headers, context);
        if (config.Redirect is { } redirect)
        {
            return Responses.Redirect(context, redirect);
        }

        if (config.Rewrite is { } rewrite)
        {
            Rewrite(context.Request, rewrite, matcher);
        }

        if (route.PickDestination(random) is not { } destination)
        {
            return Responses.NoHealthyUpstream(context, request);
        }

        request.Cluster = destination.Cluster;
        request.DestinationService = destination.Cluster.Host;
        Apply(destination.Destination.Headers, context);
        return next(context);
    }

    /// <summary>
    /// The application learns its caller from <c>x-forwarded-client-cert</c>, set only from the
    /// verified peer certificate; whatever a caller sent under that name is dropped.
    /// </summary>
    private static void ForwardClientCertificate(IHeaderDictionary headers, MeshRequest request)
    {
        headers.Remove(ClientCertificateHeader);
        if (request.SourceIdentity is { } peer)
        {
            var server = request.Snapshot.InboundSecurity[request.Listener.Name].SpiffeId;
            headers[ClientCertificateHeader] = $"By={server};URI={peer}";
        }
    }

    public const string ClientCertificateHeader = "x-forwarded-client-cert";

    /// <summary>A prefix match's prefix is replaced; otherwise the whole path is.</summary>
    private static void Rewrite(HttpRequest request, HttpRewrite rewrite, RouteMatcher matcher)
    {
        if (rewrite.Uri is { } uri)
        {
            var path = request.Path.Value ?? "/";
            request.Path = matcher.Uri is { Kind: StringMatchKind.Prefix } prefix && path.Length >= prefix.Value.Length
                ? new PathString(uri + path[prefix.Value.Length..])
                : new PathString(uri);
        }

        if (rewrite.Authority is { } authority)
        {
            request.Host = new HostString(authority);
        }
    }

    private static void Apply(Headers? headers, HttpContext context)
    {
        if (headers?.Request is { } requestHeaders)
        {
            Apply(requestHeaders, context.Request.Headers);
        }

        if (headers?.Response is { } responseHeaders)
        {
            context.Response.OnStarting(() =>
            {
                Apply(responseHeaders, context.Response.Headers);
                return Task.CompletedTask;
            });
        }
    }

    private static void Apply(HeaderOperations operations, IHeaderDictionary headers)
    {
        foreach (var (name, value) in operations.Set ?? new Dictionary<string, string>())
        {
            headers[name] = value;
        }

        foreach (var (name, value) in operations.Add ?? new Dictionary<string, string>())
        {
            headers.Append(name, value);
        }

        foreach (var name in operations.Remove ?? [])
        {
            headers.Remove(name);
        }
    }
}

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

    public static Task UpstreamTimeout(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status504GatewayTimeout, ResponseFlags.UpstreamRequestTimeout, "upstream request timeout");

    public static Task FaultAbort(HttpContext context, MeshRequest request, FaultAbort abort)
    {
        if (abort.GrpcStatus is { } grpcStatus)
        {
            context.Response.Headers.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = GrpcStatusCode(grpcStatus);
            context.Response.Headers["grpc-message"] = "fault filter abort";
            return Reply(context, request, StatusCodes.Status200OK, ResponseFlags.FaultInjected, "");
        }

        return Reply(context, request, abort.HttpStatus, ResponseFlags.FaultInjected, "fault filter abort");
    }

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

    private static string GrpcStatusCode(string status) => status.ToUpperInvariant() switch
    {
        "CANCELLED" => "1", "UNKNOWN" => "2", "INVALID_ARGUMENT" => "3", "DEADLINE_EXCEEDED" => "4", "NOT_FOUND" => "5",
        "ALREADY_EXISTS" => "6", "PERMISSION_DENIED" => "7", "RESOURCE_EXHAUSTED" => "8", "FAILED_PRECONDITION" => "9",
        "ABORTED" => "10", "OUT_OF_RANGE" => "11", "UNIMPLEMENTED" => "12", "INTERNAL" => "13", "UNAVAILABLE" => "14",
        "DATA_LOSS" => "15", "UNAUTHENTICATED" => "16", var numeric => numeric,
    };

    private static Task Reply(HttpContext context, MeshRequest request, int status, ResponseFlags flag, string body)
    {
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
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
