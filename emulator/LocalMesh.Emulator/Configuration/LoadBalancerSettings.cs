namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>LoadBalancerSettings</c>: a simple policy or a consistent hash, not both.</summary>
public sealed record LoadBalancerSettings
{
    /// <summary>A simple policy.</summary>
    public SimpleLoadBalancer? Simple { get; init; }

    /// <summary>Session affinity by a hash of the request.</summary>
    public ConsistentHash? ConsistentHash { get; init; }
}
