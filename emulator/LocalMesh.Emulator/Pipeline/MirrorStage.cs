using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.LoadBalancing;
using LocalMesh.Emulator.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// Sends a copy of a percentage of the route's requests to its mirror, with <c>-shadow</c>
/// appended to the authority as Envoy does, and ignores the mirror's response.
/// </summary>
internal sealed class MirrorStage(
    RequestDelegate next, IMeshRandom random, LoadBalancer balancer, UpstreamClients clients, WorkloadIdentities identities, ILogger<MirrorStage> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        return request.Route is { Mirror: { } mirror } route ? MirrorAsync(context, request, route, mirror) : next(context);
    }

    private async Task MirrorAsync(HttpContext context, MeshRequest request, Routing.CompiledRoute route, Routing.Cluster mirror)
    {
        if (random.NextDouble() * 100 < route.MirrorPercentage
            && request.CanReplayBody(context.Request)
            && balancer.Pick(mirror, context, []) is { } endpoint)
        {
            var shadow = $"{context.Request.Host.Host}-shadow{(context.Request.Host.Port is { } port ? $":{port}" : "")}";
            UpstreamBody body;
            try
            {
                body = await request.BodyAsync(context.Request, context.RequestAborted);
            }
            catch (DownstreamRequestException failure)
            {
                await Responses.DownstreamError(context, request, failure);
                return;
            }

            var copy = HttpProxy.CreateRequest(context, body, attempt: null, authority: shadow);
            _ = SendAsync(new UpstreamTarget(request.SourceWorkload, endpoint.Address, identities.ForCall(request.SourceIdentity, endpoint), mirror.ConnectionPool), copy);
        }

        await next(context);
    }

    private async Task SendAsync(UpstreamTarget target, UpstreamRequest copy)
    {
        try
        {
            using (copy)
            using (var response = await clients.SendAsync(target, copy, CancellationToken.None))
            {
                await response.CopyBodyAsync(destination: null, CancellationToken.None);
                logger.LogDebug("Mirror {Address} answered {Status}", target.Address, response.StatusCode);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            logger.LogDebug(ex, "Mirror {Address} failed", target.Address);
        }
    }
}
