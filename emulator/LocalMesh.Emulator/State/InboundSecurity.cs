using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.State;

/// <summary>What an inbound sidecar accepts and who it is.</summary>
/// <param name="Mode">Its effective PeerAuthentication mode.</param>
/// <param name="SpiffeId">The identity it presents.</param>
/// <param name="Port">The workload port (the service port) authorization and port-level mTLS compare with.</param>
internal sealed record InboundSecurity(MutualTlsMode Mode, string SpiffeId, int Port)
{
    /// <summary>The AuthorizationPolicies that apply to the workload.</summary>
    public ImmutableArray<AuthorizationPolicy> Policies { get; init; } = [];
}
