using LocalMesh.Emulator.Configuration;

namespace Aspire.Hosting;

/// <summary>
/// The mesh model is invalid. Thrown before anything starts, listing every problem found, so
/// one run tells the whole story.
/// </summary>
public sealed class MeshModelException(IReadOnlyList<ConfigError> errors, IReadOnlyList<string>? warnings = null)
    : DistributedApplicationException(Format(errors))
{
    /// <summary>Every problem found: the resource (or file and object) it is on, the field at fault, what is wrong and how to fix it.</summary>
    public IReadOnlyList<ConfigError> Errors { get; } = errors;

    /// <summary>What was found besides, that would not have stopped the mesh (e.g. Istio's analyzer warnings on its files).</summary>
    public IReadOnlyList<string> Warnings { get; } = warnings ?? [];

    private static string Format(IReadOnlyList<ConfigError> errors) =>
        $"The mesh model has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}; nothing was started:"
        + string.Concat(errors.Select(error => $"{Environment.NewLine}  - {error}"));
}
