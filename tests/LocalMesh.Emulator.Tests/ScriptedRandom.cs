using LocalMesh.Emulator.Randomness;
namespace LocalMesh.Emulator.Tests;

/// <summary>
/// Dice whose throws the test writes down: <see cref="Next"/> and <see cref="NextDouble"/> read
/// the next value in turn (a double in [0, 1) scaled for <see cref="Next"/>), and repeat the last.
/// </summary>
internal sealed class ScriptedRandom(params double[] values) : IMeshRandom
{
    private int _position;

    public int Next(int maxExclusive) => (int)(NextDouble() * maxExclusive);

    public double NextDouble()
    {
        lock (values)
        {
            var value = values[Math.Min(_position, values.Length - 1)];
            _position++;
            return value;
        }
    }
}
