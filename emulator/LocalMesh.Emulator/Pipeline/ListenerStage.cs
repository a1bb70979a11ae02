using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.State;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// First stage: finds which listener took the connection, takes the current snapshot and
/// establishes the caller's identity from the connection, never from a header.
/// </summary>
internal sealed class ListenerStage(RequestDelegate next, MeshState state, PeerRegistry peers)
{
    private static bool IsEnvoyHeader(string name) => name.StartsWith("x-envoy-", StringComparison.OrdinalIgnoreCase);

    public Task InvokeAsync(HttpContext context)
    {
        var snapshot = state.Snapshot;
        if (!snapshot.ListenersByPort.TryGetValue(context.Connection.LocalPort, out var listener))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        var peer = DownstreamPeer.Of(listener, snapshot, peers, context.Features, context.Connection.RemotePort);
        if (listener.Kind == ListenerKind.Ingress)
        {
            // Envoy's edge: headers that steer the mesh are not taken from outside it.
            foreach (var name in context.Request.Headers.Keys.Where(IsEnvoyHeader).ToList())
            {
                context.Request.Headers.Remove(name);
            }
        }

        context.Features.Set(new MeshRequest(snapshot, listener, peer.Workload, peer.Identity));
        return next(context);
    }
}
