namespace Aspire.Hosting;

/// <summary>One problem in the mesh model: where it is, what is wrong and how to fix it.</summary>
/// <param name="Resource">The resource the problem is on.</param>
/// <param name="Field">The setting at fault.</param>
/// <param name="Problem">What is wrong.</param>
/// <param name="Fix">What to change.</param>
public sealed record MeshModelError(string Resource, string Field, string Problem, string Fix)
{
    /// <inheritdoc />
    public override string ToString() => $"{Resource}: {Field}: {Problem} Fix: {Fix}";
}

/// <summary>
/// The mesh model is invalid. Thrown before anything starts, listing every problem found, so
/// one run tells the whole story.
/// </summary>
public sealed class MeshModelException(IReadOnlyList<MeshModelError> errors, IReadOnlyList<string>? warnings = null)
    : DistributedApplicationException(Format(errors))
{
    /// <summary>Every problem found.</summary>
    public IReadOnlyList<MeshModelError> Errors { get; } = errors;

    /// <summary>What was found besides, that would not have stopped the mesh (e.g. Istio's analyzer warnings on its files).</summary>
    public IReadOnlyList<string> Warnings { get; } = warnings ?? [];

    private static string Format(IReadOnlyList<MeshModelError> errors) =>
        $"The mesh model has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}; nothing was started:"
        + string.Concat(errors.Select(error => $"{Environment.NewLine}  - {error}"));
}
