namespace LocalMesh.Emulator.Configuration;

/// <summary>One problem in a mesh configuration: where it is, what is wrong, how to fix it.</summary>
/// <param name="Resource">The service (or workload) the problem is on.</param>
/// <param name="Field">The field at fault, in Istio's terms, e.g. <c>http[1].route[0].weight</c>.</param>
/// <param name="Problem">What is wrong.</param>
/// <param name="Fix">What to change.</param>
public sealed record ConfigError(string Resource, string Field, string Problem, string Fix)
{
    /// <summary>Istio's analyzer code for a warning, e.g. <c>IST0130</c>.</summary>
    public string? Code { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Resource}: {Field}: {Problem} Fix: {Fix}";
}

/// <summary>A place where the emulator cannot behave exactly as the system it emulates would.</summary>
/// <param name="System">Whose behaviour differs: <see cref="Istio"/> or <see cref="Knative"/>.</param>
/// <param name="Text">What differs, starting with what it concerns.</param>
internal sealed record MeshNotice(string System, string Text)
{
    /// <summary>Traffic management and security.</summary>
    public const string Istio = "Istio";

    /// <summary>Functions (Serving) and events (Eventing).</summary>
    public const string Knative = "Knative";

    /// <inheritdoc />
    public override string ToString() => $"Differs from {System}: {Text}";
}

/// <summary>The outcome of validating a configuration.</summary>
/// <param name="Errors">Problems that stop the mesh from starting.</param>
/// <param name="Notices">Places where the emulator cannot behave exactly as Istio or Knative would.</param>
internal sealed record ValidationResult(IReadOnlyList<ConfigError> Errors, IReadOnlyList<MeshNotice> Notices)
{
    /// <summary>What Istio accepts but cannot work as written (a rule that can never match), with Istio's analyzer code.</summary>
    public IReadOnlyList<ConfigError> Warnings { get; init; } = [];
}

/// <summary>Where the checks of one object put what they find: errors, warnings (with Istio's analyzer code) and notices.</summary>
internal readonly struct ConfigReport(string resource, List<ConfigError> errors, List<ConfigError> warnings, List<MeshNotice> notices)
{
    public void Error(string field, string problem, string fix) => errors.Add(new ConfigError(resource, field, problem, fix));

    public void Warning(string field, string problem, string fix, string? code = null) =>
        warnings.Add(new ConfigError(resource, field, problem, fix) { Code = code });

    public void Notice(MeshNotice notice) => notices.Add(notice);

    public void Percentage(double? percentage, string field)
    {
        if (percentage is < 0 or > 100 || (percentage is { } value && double.IsNaN(value)))
        {
            Error(field, $"is {percentage}.", "use a percentage from 0 to 100.");
        }
    }
}
