using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>A workload (a Kubernetes deployment): one or more replicas of one version of a service.</summary>
/// <param name="Name">The workload name, e.g. <c>reviews-v2</c>.</param>
/// <param name="Service">The mesh service it serves.</param>
/// <param name="Labels">Its labels, at least <c>app</c> and usually <c>version</c>.</param>
/// <param name="ServiceAccount">The service account its identity is issued for.</param>
/// <param name="Replicas">How many replicas run.</param>
public sealed record WorkloadConfig(
    string Name,
    string? Service,
    ImmutableDictionary<string, string> Labels,
    string ServiceAccount,
    int Replicas)
{
    /// <summary>
    /// Set for a function revision (a Knative Revision): its one inbound listener is the
    /// activator, which starts and stops instances on demand instead of a fixed set of replicas.
    /// </summary>
    public FunctionScaling? Scaling { get; init; }
}
