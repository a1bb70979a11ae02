using System.Text.RegularExpressions;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Routing;

/// <summary>A compiled <see cref="StringMatch"/>.</summary>
internal sealed class StringMatcher
{
    private readonly StringMatch _match;
    private readonly Regex? _regex;
    private readonly StringComparison _comparison;

    public StringMatcher(StringMatch match, bool ignoreCase = false)
    {
        _match = match;
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (match.Kind == StringMatchKind.Regex)
        {
            _regex = StringMatch.WholeString(match.Value);
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
}
