using System.Text.RegularExpressions;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Routing;

/// <summary>A compiled <see cref="StringMatch"/>.</summary>
internal sealed class StringMatcher
{
    /// <summary>RE2 has no backtracking constructs; the non-backtracking engine rejects them too.</summary>
    public const RegexOptions RegexOptionsLikeRe2 = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    private readonly StringMatch _match;
    private readonly Regex? _regex;
    private readonly StringComparison _comparison;

    public StringMatcher(StringMatch match, bool ignoreCase = false)
    {
        _match = match;
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (match.Kind == StringMatchKind.Regex)
        {
            // Whole-string match, as Envoy's safe_regex does.
            _regex = new Regex($"^(?:{match.Value})$", RegexOptionsLikeRe2);
        }
    }

    /// <summary>Whether <paramref name="value"/> (null when absent) matches.</summary>
    public bool IsMatch(string? value) => value is not null && _match.Kind switch
    {
        StringMatchKind.Exact => string.Equals(value, _match.Value, _comparison),
        StringMatchKind.Prefix => value.StartsWith(_match.Value, _comparison),
        StringMatchKind.Regex => _regex!.IsMatch(value),
        _ => true,
    };

    /// <summary>Whether <paramref name="pattern"/> compiles as this matcher will compile it; the error otherwise.</summary>
    public static string? RegexError(string pattern)
    {
        try
        {
            _ = new Regex($"^(?:{pattern})$", RegexOptionsLikeRe2);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return ex.Message;
        }
    }
}
