using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// The ingress gateway's answer while the mesh is starting: until every workload has been ready
/// once, a request would meet whichever service is not up yet, so it gets 503 (flag UH) with what
/// the mesh is waiting for, not a page with holes in it.
/// </summary>
internal sealed class StartingStage(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        return request.Snapshot.Started
            ? next(context)
            : Responses.Starting(context, request, request.Snapshot.Waiting);
    }
}
