namespace LocalMesh.Emulator.Randomness;

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
