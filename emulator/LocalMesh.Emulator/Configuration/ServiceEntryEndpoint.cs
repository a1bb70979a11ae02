namespace LocalMesh.Emulator.Configuration;

/// <summary>An address behind a <see cref="ServiceEntry"/>'s hosts (Istio's <c>WorkloadEntry</c>).</summary>
/// <param name="Address">An IP address, or a DNS name for DNS resolution.</param>
public sealed record ServiceEntryEndpoint(string Address)
{
    /// <summary>This endpoint's own port for each of the entry's port names.</summary>
    public IReadOnlyDictionary<string, int>? Ports { get; init; }

    /// <summary>Its labels (a DestinationRule's subsets select on them).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}
