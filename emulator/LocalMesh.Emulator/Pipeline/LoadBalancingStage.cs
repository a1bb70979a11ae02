using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.LoadBalancing;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>Picks one endpoint among the route's candidates (round robin until policies exist).</summary>
internal sealed class LoadBalancingStage(RequestDelegate next, RoundRobin roundRobin)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        if (request.Listener.Kind == ListenerKind.Inbound)
        {
            return next(context);
        }

        var endpoint = roundRobin.Pick(request.DestinationService!, request.Candidates);
        if (endpoint is null)
        {
            return Responses.NoHealthyUpstream(context, request);
        }

        request.Endpoint = endpoint;
        request.Upstream = endpoint.Address;
        return next(context);
    }
}
