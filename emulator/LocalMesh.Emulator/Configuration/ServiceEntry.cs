using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

// Istio's ServiceEntry (networking.istio.io/v1) and meshConfig.outboundTrafficPolicy: how a
// workload's calls to hosts outside the mesh leave through its sidecar.

/// <summary>
/// Istio's <c>ServiceEntry</c>: hosts outside the mesh (an API on the internet, a database on a
/// VM) added to its registry, so calls to them are routed, with a VirtualService's and
/// DestinationRule's rules for those hosts, and counted under their own name.
/// </summary>
/// <param name="Name">Its name.</param>
public sealed record ServiceEntry(string Name)
{
    /// <summary>Its namespace; <c>null</c> is the mesh's.</summary>
    public string? Namespace { get; init; }

    /// <summary>The host names it adds, e.g. <c>api.example.com</c> or <c>*.example.com</c>.</summary>
    public ImmutableArray<string> Hosts { get; init; } = [];

    /// <summary>The ports the hosts serve.</summary>
    public ImmutableArray<ServiceEntryPort> Ports { get; init; } = [];

    /// <summary>Outside the mesh (Istio's default) or a part of it without sidecars.</summary>
    public ServiceEntryLocation Location { get; init; } = ServiceEntryLocation.MeshExternal;

    /// <summary>How the sidecar finds the hosts' addresses.</summary>
    public ServiceEntryResolution Resolution { get; init; } = ServiceEntryResolution.None;

    /// <summary>The addresses behind the hosts (for STATIC, and DNS names for DNS); none: the host itself.</summary>
    public ImmutableArray<ServiceEntryEndpoint> Endpoints { get; init; } = [];
}

/// <summary>A port of a <see cref="ServiceEntry"/>.</summary>
/// <param name="Number">The port callers use.</param>
/// <param name="Name">Its name, unique in the entry (endpoints map names to their own ports).</param>
/// <param name="Protocol">What it carries: <c>HTTP</c>, <c>HTTPS</c>, <c>HTTP2</c>, <c>GRPC</c>, <c>TLS</c>, <c>TCP</c>, <c>MONGO</c>.</param>
public sealed record ServiceEntryPort(int Number, string Name, string Protocol)
{
    /// <summary>The port the endpoints listen on, where it differs from <see cref="Number"/>.</summary>
    public int? TargetPort { get; init; }

    /// <summary>Whether the sidecar sees HTTP on this port (and so applies the HTTP rules) rather than bytes.</summary>
    internal bool IsHttp => Protocol.ToUpperInvariant() is "HTTP" or "HTTP2" or "GRPC" or "GRPC-WEB";
}

/// <summary>An address behind a <see cref="ServiceEntry"/>'s hosts (Istio's <c>WorkloadEntry</c>).</summary>
/// <param name="Address">An IP address, or a DNS name for DNS resolution.</param>
public sealed record ServiceEntryEndpoint(string Address)
{
    /// <summary>This endpoint's own port for each of the entry's port names.</summary>
    public IReadOnlyDictionary<string, int>? Ports { get; init; }

    /// <summary>Its labels (a DestinationRule's subsets select on them).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>A <see cref="ServiceEntry"/>'s <c>location</c>.</summary>
public enum ServiceEntryLocation
{
    /// <summary>Outside the mesh: no sidecar at the other end, so no mutual TLS.</summary>
    MeshExternal,

    /// <summary>Part of the mesh, without a sidecar the mesh knows of.</summary>
    MeshInternal,
}

/// <summary>A <see cref="ServiceEntry"/>'s <c>resolution</c>.</summary>
public enum ServiceEntryResolution
{
    /// <summary>To the address the caller asked for (the host it named, resolved as it would be).</summary>
    None,

    /// <summary>To the endpoints' IP addresses.</summary>
    Static,

    /// <summary>To the endpoints' DNS names, or the host itself when none are given.</summary>
    Dns,

    /// <summary>As <see cref="Dns"/>, one address at a time.</summary>
    DnsRoundRobin,
}

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

/// <summary>Istio's <c>ClientTLSSettings</c>: the TLS a sidecar originates to a destination.</summary>
/// <param name="Mode">What TLS the sidecar speaks.</param>
public sealed record ClientTlsSettings(ClientTlsMode Mode)
{
    /// <summary>The server name the sidecar sends (SNI) and checks the certificate for; the destination's host when unset.</summary>
    public string? Sni { get; init; }

    /// <summary>A file of PEM certificates the server's must chain to; the machine's trusted roots when unset.</summary>
    public string? CaCertificates { get; init; }

    /// <summary>Whether the server's certificate is not checked at all (Istio's <c>insecureSkipVerify</c>).</summary>
    public bool InsecureSkipVerify { get; init; }
}

/// <summary>A <see cref="ClientTlsSettings"/>' <c>mode</c>.</summary>
public enum ClientTlsMode
{
    /// <summary>Plaintext.</summary>
    Disable,

    /// <summary>TLS to the destination, checking its certificate: TLS origination.</summary>
    Simple,

    /// <summary>Mutual TLS with a client certificate of the team's own.</summary>
    Mutual,

    /// <summary>The mesh's mutual TLS, with the workload's own identity (what auto mTLS does between sidecars).</summary>
    IstioMutual,
}

/// <summary>Istio's <c>PortTrafficPolicy</c>: settings for one port of the destination, over the rule's.</summary>
/// <param name="Port">The destination port.</param>
public sealed record PortTrafficPolicy(int Port)
{
    /// <summary>How an endpoint is chosen on this port.</summary>
    public LoadBalancerSettings? LoadBalancer { get; init; }

    /// <summary>Limits on this port's connections and requests.</summary>
    public ConnectionPoolSettings? ConnectionPool { get; init; }

    /// <summary>Ejection of this port's failing endpoints.</summary>
    public OutlierDetection? OutlierDetection { get; init; }

    /// <summary>The TLS the sidecar originates on this port.</summary>
    public ClientTlsSettings? Tls { get; init; }
}
