using System.Collections.Immutable;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>Marks a resource as a workload of a mesh service: it gets sidecars and serves the service.</summary>
/// <param name="Service">The service it serves.</param>
/// <param name="Labels">Its labels (<c>app</c>, <c>version</c> and any others).</param>
/// <param name="ServiceAccount">The service account of its identity; <c>null</c> means the workload's name.</param>
public sealed record MeshWorkloadAnnotation(
    MeshServiceResource Service,
    ImmutableDictionary<string, string> Labels,
    string? ServiceAccount) : IResourceAnnotation;

/// <summary>Where an ingress gateway sends the traffic it takes.</summary>
/// <param name="Service">The service every request goes to.</param>
public sealed record IngressRouteAnnotation(MeshServiceResource Service) : IResourceAnnotation;

/// <summary>One HTTP route of a mesh service's VirtualService; routes are tried in the order they were added.</summary>
/// <param name="Route">The route.</param>
public sealed record MeshHttpRouteAnnotation(LocalMesh.Emulator.Configuration.HttpRoute Route) : IResourceAnnotation;

/// <summary>One subset of a mesh service's DestinationRule.</summary>
/// <param name="Subset">The subset.</param>
public sealed record MeshSubsetAnnotation(LocalMesh.Emulator.Configuration.Subset Subset) : IResourceAnnotation;

/// <summary>The traffic policy of a mesh service's DestinationRule.</summary>
/// <param name="Policy">The policy.</param>
public sealed record MeshTrafficPolicyAnnotation(LocalMesh.Emulator.Configuration.TrafficPolicy Policy) : IResourceAnnotation;

/// <summary>A PeerAuthentication policy of the mesh.</summary>
/// <param name="Policy">The policy.</param>
public sealed record MeshPeerAuthenticationAnnotation(LocalMesh.Emulator.Configuration.PeerAuthentication Policy) : IResourceAnnotation;

/// <summary>An AuthorizationPolicy of the mesh.</summary>
/// <param name="Policy">The policy.</param>
public sealed record MeshAuthorizationPolicyAnnotation(LocalMesh.Emulator.Configuration.AuthorizationPolicy Policy) : IResourceAnnotation;
