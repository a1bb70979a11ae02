using System.Globalization;
using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Durations as Istio writes them: <c>7s</c>, <c>500ms</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>.</summary>
internal static partial class MeshDuration
{
    /// <summary>Parses <paramref name="text"/>; false when it is not a duration.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (text is null || Pattern().Match(text.Trim()) is not { Success: true } match)
        {
            return false;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        duration = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            _ => TimeSpan.FromHours(value),
        };
        return true;
    }

    /// <summary>Writes <paramref name="duration"/> in the shortest of Istio's forms.</summary>
    public static string Format(TimeSpan duration) => duration.TotalMilliseconds % 1000 == 0
        ? $"{duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"
        : $"{duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$")]
    private static partial Regex Pattern();
}
