namespace LocalMesh.Emulator;

/// <summary>
/// The data plane's only source of randomness: weighted routing, fault percentages, random and
/// least-request balancing, retry back-off jitter. Tests replace it to make each decision known.
/// </summary>
internal interface IMeshRandom
{
    /// <summary>A number in [0, <paramref name="maxExclusive"/>).</summary>
    int Next(int maxExclusive);

    /// <summary>A number in [0, 1).</summary>
    double NextDouble();
}

/// <summary><see cref="IMeshRandom"/> over <see cref="Random.Shared"/>.</summary>
internal sealed class SystemMeshRandom : IMeshRandom
{
    /// <summary>The shared instance.</summary>
    public static readonly SystemMeshRandom Instance = new();

    /// <inheritdoc />
    public int Next(int maxExclusive) => Random.Shared.Next(maxExclusive);

    /// <inheritdoc />
    public double NextDouble() => Random.Shared.NextDouble();
}
