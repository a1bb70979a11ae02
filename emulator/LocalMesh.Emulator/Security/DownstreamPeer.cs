using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http.Features;

namespace LocalMesh.Emulator.Security;

/// <summary>
/// Who is calling on a listener's connection, from the connection and never from anything the
/// caller sends — one answer for HTTP requests and TCP connections alike, as Envoy keeps the
/// downstream's identity in one connection record for its HTTP and network filters. A struct: one
/// is made for every request.
/// </summary>
/// <param name="Workload">The calling workload, or <see cref="MeshTelemetry.Unknown"/> (from outside the mesh, or a caller without a sidecar).</param>
/// <param name="Identity">The caller's SPIFFE ID: proven by its certificate at an inbound sidecar, the listener's own workload's at an outbound one; null without one.</param>
internal readonly record struct DownstreamPeer(string Workload, string? Identity)
{
    public static DownstreamPeer Of(ListenerConfig listener, MeshSnapshot snapshot, PeerRegistry peers, IFeatureCollection connection, int remotePort) => listener.Kind switch
    {
        // An inbound sidecar knows its peer by the connection the peer's outbound sidecar opened, and
        // its identity by the certificate the peer proved (none over plaintext).
        ListenerKind.Inbound => new(peers.Find(remotePort) ?? MeshTelemetry.Unknown, connection.Get<PeerIdentity>()?.SpiffeId),
        // A service's own address and a broker's ingress are called from outside the mesh.
        ListenerKind.Service or ListenerKind.Broker => new(MeshTelemetry.Unknown, null),
        // An outbound sidecar, the egress proxy and the gateway call as their own workload.
        _ => new(listener.Workload!, snapshot.CallerIdentities.GetValueOrDefault(listener.Name)),
    };
}
