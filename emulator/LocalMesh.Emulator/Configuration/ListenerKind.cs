namespace LocalMesh.Emulator.Configuration;

/// <summary>What a listener is for, and so which stages of the pipeline apply.</summary>
public enum ListenerKind
{
    /// <summary>A workload replica's inbound sidecar: traffic from the mesh to the application.</summary>
    Inbound,

    /// <summary>A caller's outbound sidecar for one destination service.</summary>
    Outbound,

    /// <summary>The ingress gateway: traffic from outside the mesh.</summary>
    Ingress,

    /// <summary>A service's address for callers without a sidecar (the source is unknown).</summary>
    Service,

    /// <summary>A Knative Eventing broker's ingress: CloudEvents in, deliveries out through the broker's outbound sidecars.</summary>
    Broker,

    /// <summary>
    /// A workload's outbound sidecar for hosts outside the mesh: its HTTP proxy (<c>HTTP_PROXY</c>),
    /// which routes plain HTTP by the host it names and tunnels HTTPS (<c>CONNECT</c>).
    /// </summary>
    Egress,
}
