using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

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
