namespace LocalMesh.Emulator.Configuration;

/// <summary>A mesh configuration was refused; every problem found is listed.</summary>
public sealed class MeshConfigException(IReadOnlyList<ConfigError> errors) : Exception(Format(errors))
{
    /// <summary>Every problem found.</summary>
    public IReadOnlyList<ConfigError> Errors { get; } = errors;

    /// <summary>Throws when <paramref name="config"/> has any problem.</summary>
    internal static void ThrowIfInvalid(MeshConfig config)
    {
        if (MeshConfigValidator.Validate(config).Errors is { Count: > 0 } errors)
        {
            throw new MeshConfigException(errors);
        }
    }

    private static string Format(IReadOnlyList<ConfigError> errors) =>
        $"The mesh configuration has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}:"
        + string.Concat(errors.Select(error => $"{Environment.NewLine}  - {error}"));
}
