namespace LocalMesh.Emulator.Configuration;

/// <summary>A named group of a service's endpoints.</summary>
/// <param name="Name">The subset's name, e.g. <c>v1</c>.</param>
/// <param name="Labels">Labels an endpoint's workload must have.</param>
public sealed record Subset(string Name, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>Overrides the rule's policy for traffic routed to this subset.</summary>
    public TrafficPolicy? TrafficPolicy { get; init; }

    /// <summary>
    /// The Gateway API backend this subset stands for (bookinfo's Service <c>reviews-v1</c>), or
    /// null. Such a Service is a host of its own in a cluster, so traffic routed to it gets its own
    /// DestinationRule's policy (<see cref="TrafficPolicy"/>) only, not the service's.
    /// </summary>
    public string? VersionService { get; init; }
}
