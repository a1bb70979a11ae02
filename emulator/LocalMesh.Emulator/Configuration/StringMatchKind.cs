using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>How a <see cref="StringMatch"/> compares.</summary>
public enum StringMatchKind
{
    /// <summary>The whole value equals the given string.</summary>
    Exact,

    /// <summary>The value starts with the given string.</summary>
    Prefix,

    /// <summary>The whole value matches an RE2-style regular expression.</summary>
    Regex,

    /// <summary>The value is present, whatever it is (Istio's empty matcher <c>{}</c>).</summary>
    Present,
}
