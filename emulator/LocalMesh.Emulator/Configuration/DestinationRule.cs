namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>DestinationRule</c> for one service: its policy and its subsets.</summary>
public sealed record DestinationRule
{
    /// <summary>Its name, as a file gives it; <c>null</c> names it after its service.</summary>
    public string? Name { get; init; }

    /// <summary>The policy for all of the service's traffic.</summary>
    public TrafficPolicy? TrafficPolicy { get; init; }

    /// <summary>Named groups of the service's endpoints, selected by labels.</summary>
    public IReadOnlyList<Subset>? Subsets { get; init; }
}
