namespace LocalMesh.Emulator.Randomness;

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
