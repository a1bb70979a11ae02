namespace LocalMesh.Kubernetes.Import;

/// <summary>Where something is in a configuration file: 1-based line and column.</summary>
/// <param name="File">The file, as given (relative paths stay relative, so messages stay short).</param>
/// <param name="Line">The line.</param>
/// <param name="Column">The column.</param>
internal sealed record SourceLocation(string File, int Line, int Column)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>How bad a finding is: an error stops the mesh from starting; a warning is said and the mesh starts.</summary>
internal enum FindingSeverity
{
    /// <summary>What Istio's or Knative's validation rejects.</summary>
    Error,

    /// <summary>What Istio accepts but cannot work as written (its analyzer's messages).</summary>
    Warning,
}

/// <summary>
/// One problem in the configuration files, as istioctl would report it and with the fix: where it
/// is (file, line, column), which object (kind, namespace, name), which field, what is wrong.
/// </summary>
/// <param name="Severity">Error or warning.</param>
/// <param name="Location">Where in which file.</param>
/// <param name="Object">The object, e.g. <c>VirtualService default/reviews</c>; empty for a file that did not parse.</param>
/// <param name="Field">The field path, e.g. <c>spec.http[1].route[0].weight</c>.</param>
/// <param name="Problem">What is wrong.</param>
/// <param name="Fix">What to change.</param>
/// <param name="Code">Istio's analyzer code where one exists, e.g. <c>IST0101</c>.</param>
internal sealed record ConfigFinding(
    FindingSeverity Severity, SourceLocation Location, string Object, string Field, string Problem, string Fix, string? Code = null)
{
    /// <inheritdoc />
    public override string ToString() => Object.Length == 0
        ? $"{Location}: {Problem} Fix: {Fix}"
        : $"{Location} {(Code is null ? "" : $"{Code} ")}{Object}: {(Field.Length == 0 ? "" : $"{Field}: ")}{Problem} Fix: {Fix}";
}
