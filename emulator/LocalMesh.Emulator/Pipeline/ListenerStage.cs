using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Telemetry;
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

        var source = listener.Kind switch
        {
            // An inbound sidecar knows its peer by the connection the peer's outbound sidecar opened.
            ListenerKind.Inbound => peers.Find(context.Connection.RemotePort) ?? MeshTelemetry.Unknown,
            ListenerKind.Service or ListenerKind.Broker => MeshTelemetry.Unknown,
            _ => listener.Workload!,
        };
        var identity = listener.Kind == ListenerKind.Inbound
            // Proved by the peer's certificate, or nothing over plaintext.
            ? context.Features.Get<PeerIdentity>()?.SpiffeId
            : snapshot.CallerIdentities.GetValueOrDefault(listener.Name);

        if (listener.Kind == ListenerKind.Ingress)
        {
            // Envoy's edge: headers that steer the mesh are not taken from outside it.
            foreach (var name in context.Request.Headers.Keys.Where(IsEnvoyHeader).ToList())
            {
                context.Request.Headers.Remove(name);
            }
        }

        context.Features.Set(new MeshRequest(snapshot, listener, source, identity));
        return next(context);
    }
}
