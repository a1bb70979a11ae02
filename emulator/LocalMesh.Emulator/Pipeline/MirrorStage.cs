using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.LoadBalancing;
using LocalMesh.Emulator.Randomness;
using LocalMesh.Emulator.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// Sends a copy of a percentage of the route's requests to its mirror, with <c>-shadow</c>
/// appended to the authority as Envoy does, and ignores the mirror's response.
/// </summary>
internal sealed class MirrorStage(
    RequestDelegate next, IMeshRandom random, LoadBalancer balancer, Http1Forwarder http1, Http2Forwarder http2, WorkloadIdentities identities, ILogger<MirrorStage> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        return request.Route is { Mirror: { } mirror } route ? MirrorAsync(context, request, route, mirror) : next(context);
    }

    private async Task MirrorAsync(HttpContext context, MeshRequest request, Routing.CompiledRoute route, Routing.Cluster mirror)
    {
        // A stream of unknown length (a gRPC call) is not held back to be copied: it is not mirrored.
        if (random.NextDouble() * 100 < route.MirrorPercentage
            && request.CanReplayBody(context.Request)
            && !(context.Request.ContentLength is null && HttpProxy.HasBody(context.Request) && mirror.IsHttp2)
            && balancer.Pick(mirror, context, []) is { } endpoint)
        {
            var shadow = $"{context.Request.Host.Host}-shadow{(context.Request.Host.Port is { } port ? $":{port}" : "")}";
            UpstreamBody body;
            try
            {
                body = await request.BodyAsync(context.Request, streamUnknownLength: false, context.RequestAborted);
            }
            catch (DownstreamRequestException failure)
            {
                await Responses.DownstreamError(context, request, failure);
                return;
            }

            var target = new UpstreamTarget(request.SourceWorkload, endpoint.Address, identities.ForCall(request.SourceIdentity, endpoint), mirror.ConnectionPool);
            var sending = (mirror.IsHttp2 ? (IForwarder)http2 : http1).SendAsync(context, body, target, attempt: null, shadow, CancellationToken.None);
            _ = MirrorAsync(target, sending);
        }

        await next(context);
    }

    private async Task MirrorAsync(UpstreamTarget target, ValueTask<IUpstreamResponse> sending)
    {
        try
        {
            using var response = await sending;
            await response.DiscardAsync(CancellationToken.None);
            logger.LogDebug("Mirror {Address} answered {Status}", target.Address, response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            logger.LogDebug(ex, "Mirror {Address} failed", target.Address);
        }
    }
}
