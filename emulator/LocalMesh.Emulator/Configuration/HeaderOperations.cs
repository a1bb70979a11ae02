using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Header changes: set (replace), add (append), remove.</summary>
public sealed record HeaderOperations
{
    /// <summary>Headers to set, replacing any value.</summary>
    public IReadOnlyDictionary<string, string>? Set { get; init; }

    /// <summary>Headers to append.</summary>
    public IReadOnlyDictionary<string, string>? Add { get; init; }

    /// <summary>Headers to remove.</summary>
    public IReadOnlyList<string>? Remove { get; init; }
}
