using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// Sends a copy of a percentage of the route's requests to its mirror, with <c>-shadow</c>
/// appended to the authority as Envoy does, and ignores the mirror's response.
/// </summary>
internal sealed class MirrorStage(RequestDelegate next, IMeshRandom random, LoadBalancer balancer, UpstreamClients clients, ILogger<MirrorStage> logger)
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
            var copy = HttpProxy.CreateRequest(context, endpoint.Address, await request.BodyAsync(context.Request, context.RequestAborted), attempt: null);
            copy.Headers.Host = $"{context.Request.Host.Host}-shadow{(context.Request.Host.Port is { } port ? $":{port}" : "")}";
            _ = SendAsync(clients.For(request.SourceWorkload), copy);
        }

        await next(context);
    }

    private async Task SendAsync(HttpMessageInvoker client, HttpRequestMessage copy)
    {
        try
        {
            using (copy)
            using (var response = await client.SendAsync(copy, CancellationToken.None))
            {
                logger.LogDebug("Mirror {Uri} answered {Status}", copy.RequestUri, (int)response.StatusCode);
            }
        }
        catch (HttpRequestException ex)
        {
            logger.LogDebug(ex, "Mirror {Uri} failed", copy.RequestUri);
        }
    }
}
