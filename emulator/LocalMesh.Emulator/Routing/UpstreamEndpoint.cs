using System.Collections.Immutable;

namespace LocalMesh.Emulator.Routing;

/// <summary>
/// An endpoint a service's traffic can go to: one ready replica of one workload, reached through
/// its inbound sidecar.
/// </summary>
/// <param name="Workload">The workload the replica belongs to.</param>
/// <param name="Replica">The replica index.</param>
/// <param name="Labels">The workload's labels (subsets select on them).</param>
/// <param name="Address">The replica's inbound sidecar.</param>
internal sealed record UpstreamEndpoint(string Workload, int Replica, ImmutableDictionary<string, string> Labels, Uri Address)
{
    /// <summary>The workload's SPIFFE ID, which its inbound sidecar must present (secure naming).</summary>
    public string? SpiffeId { get; init; }

    /// <summary>Whether its inbound sidecar accepts mutual TLS (any mode but DISABLE); callers then use it (auto mTLS).</summary>
    public bool AcceptsMutualTls { get; init; }

    /// <summary>A readable name, e.g. <c>reviews-v2/1</c>.</summary>
    public string Name { get; } = $"{Workload}/{Replica}";

    /// <summary>
    /// An address outside the mesh behind a ServiceEntry host (or the one a call named): no
    /// sidecar answers it, so no mutual TLS; named after the host, as Istio's telemetry has no workload for it.
    /// </summary>
    public static UpstreamEndpoint External(string host, int index, ImmutableDictionary<string, string> labels, Uri address) =>
        new(host, index, labels, address);
}
