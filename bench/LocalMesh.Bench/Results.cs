using System.Globalization;

namespace LocalMesh.Bench;

/// <summary>One row of the results table: what was measured, the value, and the target it is held to.</summary>
/// <param name="Area">The area, e.g. "Cold start".</param>
/// <param name="Measure">What was measured.</param>
/// <param name="Value">The measured value, formatted.</param>
/// <param name="Target">The target, or empty when the row is context.</param>
/// <param name="Verdict">"met (0.8× the target)", "missed (1.3× the target)" or empty: the value as a multiple of its target.</param>
internal sealed record Row(string Area, string Measure, string Value, string Target = "", string Verdict = "")
{
    /// <summary>A row held to an upper bound: met when <paramref name="value"/> ≤ <paramref name="limit"/>.</summary>
    public static Row AtMost(string area, string measure, double value, double limit, string unit) =>
        new(area, measure, Format(value, unit), $"≤ {Format(limit, unit)}", Judge(value <= limit, value / limit));

    /// <summary>A row held to a lower bound: met when <paramref name="value"/> ≥ <paramref name="limit"/>.</summary>
    public static Row AtLeast(string area, string measure, double value, double limit, string unit) =>
        new(area, measure, Format(value, unit), $"≥ {Format(limit, unit)}", Judge(value >= limit, value / limit));

    public static string Format(double value, string unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {unit}").TrimEnd();

    private static string Judge(bool met, double ratio) =>
        string.Create(CultureInfo.InvariantCulture, $"{(met ? "met" : "missed")} ({ratio:0.00}× the target)");
}

/// <summary>Percentiles of a sample, by nearest rank.</summary>
internal static class Percentiles
{
    public static double Of(IReadOnlyList<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IReadOnlyList<double> values) => Of(values, 50);
}

/// <summary>Prints the table as Markdown, so the README can hold it as it is.</summary>
internal static class Table
{
    public static string Render(IReadOnlyList<Row> rows, string machine)
    {
        var lines = new List<string>
        {
            $"Machine: {machine}",
            "",
            "| Area | Measure | Value | Target | Verdict |",
            "|---|---|---|---|---|",
        };
        lines.AddRange(rows.Select(row => $"| {row.Area} | {row.Measure} | {row.Value} | {row.Target} | {row.Verdict} |"));
        return string.Join(Environment.NewLine, lines);
    }

    public static string Machine() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}");
}
