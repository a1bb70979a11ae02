namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// Istio's <c>meshConfig.outboundTrafficPolicy.mode</c>: what a sidecar does with a call to a host
/// its registry (the mesh's services and the ServiceEntries) does not have.
/// </summary>
public enum OutboundTrafficPolicyMode
{
    /// <summary>Let it pass, as it was sent (Envoy's <c>PassthroughCluster</c>): Istio's default.</summary>
    AllowAny,

    /// <summary>Refuse it: HTTP is answered 502 and a tunnel is refused (Envoy's <c>BlackHoleCluster</c>).</summary>
    RegistryOnly,
}
