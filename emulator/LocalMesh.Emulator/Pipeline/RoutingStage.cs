using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// Decides where a request may go. Inbound: the application behind the sidecar. Everything
/// else: the destination service's ready endpoints (all of them until routes exist).
/// </summary>
internal sealed class RoutingStage(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        var listener = request.Listener;
        if (listener.Kind == ListenerKind.Inbound)
        {
            request.DestinationService = request.Snapshot.Workloads[listener.Workload!].Service;
            if (!request.Snapshot.Applications.TryGetValue(listener.Name, out var application))
            {
                return Responses.NoHealthyUpstream(context, request);
            }

            request.Upstream = application;
            return next(context);
        }

        request.DestinationService = listener.Destination;
        request.Candidates = request.Snapshot.Upstreams.GetValueOrDefault(listener.Destination!, []);
        return next(context);
    }
}

/// <summary>The local replies Envoy gives when it cannot forward, with their flags.</summary>
internal static class Responses
{
    public static Task NoHealthyUpstream(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status503ServiceUnavailable, ResponseFlags.NoHealthyUpstream, "no healthy upstream");

    public static Task UpstreamConnectFailure(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status503ServiceUnavailable, ResponseFlags.UpstreamConnectionFailure,
            "upstream connect error or disconnect/reset before headers. reset reason: connection failure");

    public static Task UpstreamReset(HttpContext context, MeshRequest request) =>
        Reply(context, request, StatusCodes.Status503ServiceUnavailable, ResponseFlags.UpstreamConnectionTermination,
            "upstream connect error or disconnect/reset before headers. reset reason: connection termination");

    private static Task Reply(HttpContext context, MeshRequest request, int status, ResponseFlags flag, string body)
    {
        request.Flags |= flag;
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
