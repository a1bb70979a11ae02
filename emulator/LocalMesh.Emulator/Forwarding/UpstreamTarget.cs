using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>Where one try goes and how to connect there.</summary>
/// <param name="Workload">The calling workload whose sidecar sends (null for an inbound sidecar's hop to its application).</param>
/// <param name="Address">The upstream: an inbound sidecar's or an application's <c>http://host:port</c>.</param>
/// <param name="MutualTls">Mutual TLS to the destination's inbound sidecar, or null for plaintext.</param>
/// <param name="ConnectionPool">The destination's <c>connectionPool</c> (its connect and idle timeouts); null for Istio's defaults.</param>
/// <param name="Connected">Called once the request has a connection (circuit breakers stop counting it as pending).</param>
internal sealed record UpstreamTarget(string? Workload, Uri Address, MutualTlsSettings? MutualTls = null, ConnectionPoolSettings? ConnectionPool = null, Action? Connected = null)
{
    /// <summary>The TLS a DestinationRule has the sidecar originate to a host outside the mesh (an <c>https</c> address), or null.</summary>
    public ClientTlsSettings? Tls { get; init; }

    /// <summary>The host the call is for: the server name (SNI) of originated TLS unless <see cref="Tls"/> names one.</summary>
    public string? Host { get; init; }
}
