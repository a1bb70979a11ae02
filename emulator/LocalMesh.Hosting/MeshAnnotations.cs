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
