using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>StringMatch</c>: exact, prefix or regex; for headers also mere presence.</summary>
/// <param name="Kind">How to compare.</param>
/// <param name="Value">The string, prefix or expression; empty for <see cref="StringMatchKind.Present"/>.</param>
public sealed record StringMatch(StringMatchKind Kind, string Value)
{
    /// <summary>Matches the value <paramref name="value"/> exactly.</summary>
    public static StringMatch Exact(string value) => new(StringMatchKind.Exact, value);

    /// <summary>Matches values starting with <paramref name="prefix"/>.</summary>
    public static StringMatch Prefix(string prefix) => new(StringMatchKind.Prefix, prefix);

    /// <summary>Matches values the whole of which <paramref name="pattern"/> matches (RE2 syntax).</summary>
    public static StringMatch Regex(string pattern) => new(StringMatchKind.Regex, pattern);

    /// <summary>Matches any value, as long as there is one (headers only).</summary>
    public static StringMatch Present { get; } = new(StringMatchKind.Present, "");

    /// <summary>RE2 has no backtracking constructs; .NET's non-backtracking engine rejects them too.</summary>
    internal const RegexOptions RegexOptionsLikeRe2 = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    /// <summary><paramref name="pattern"/> as a whole-string match, as Envoy's <c>safe_regex</c> applies it.</summary>
    internal static Regex WholeString(string pattern) => new($"^(?:{pattern})$", RegexOptionsLikeRe2);

    /// <summary>Null when <paramref name="pattern"/> compiles as the data plane compiles it; the error otherwise.</summary>
    internal static string? RegexError(string pattern)
    {
        try
        {
            _ = WholeString(pattern);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return ex.Message;
        }
    }

    /// <inheritdoc />
    public override string ToString() => Kind == StringMatchKind.Present ? "{}" : $"{Kind.ToString().ToLowerInvariant()}: {Value}";
}
