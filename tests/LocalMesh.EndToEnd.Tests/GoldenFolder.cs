using System.Text;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>Compares a folder with its committed golden copy and explains a difference in a way a reviewer can read.</summary>
internal static class GoldenFolder
{
    /// <summary>Fails naming every missing, extra or changed file, with the first changed lines of each.</summary>
    public static void AssertSame(string golden, string actual, string? regenerate)
    {
        static HashSet<string> Files(string root) => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .ToHashSet(StringComparer.Ordinal);

        var expected = Files(golden);
        var written = Files(actual);
        var report = new StringBuilder();
        foreach (var missing in expected.Except(written).Order(StringComparer.Ordinal))
        {
            report.AppendLine($"- {missing}: committed, no longer written");
        }

        foreach (var extra in written.Except(expected).Order(StringComparer.Ordinal))
        {
            report.AppendLine($"+ {extra}: written, not committed");
        }

        foreach (var file in expected.Intersect(written).Order(StringComparer.Ordinal))
        {
            var before = File.ReadAllLines(Path.Combine(golden, file));
            var after = File.ReadAllLines(Path.Combine(actual, file));
            if (Diff(before, after) is { } diff)
            {
                report.AppendLine($"~ {file}:").Append(diff);
            }
        }

        Assert.True(report.Length == 0, regenerate is null
            ? $"The folders differ:\n{report}"
            : $"The export differs from the committed folder. If the change is intended, regenerate it with:\n  {regenerate}\n{report}");
    }

    /// <summary>The first differing line with two lines of context, as a small unified diff; null when equal.</summary>
    internal static string? Diff(IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        var first = Enumerable.Range(0, Math.Min(before.Count, after.Count)).FirstOrDefault(i => before[i] != after[i], -1);
        if (first < 0 && before.Count == after.Count)
        {
            return null;
        }

        first = first < 0 ? Math.Min(before.Count, after.Count) : first;
        var text = new StringBuilder($"    @@ line {first + 1} @@\n");
        for (var i = Math.Max(0, first - 2); i < first; i++)
        {
            text.AppendLine($"      {before[i]}");
        }

        foreach (var line in before.Skip(first).Take(3))
        {
            text.AppendLine($"    - {line}");
        }

        foreach (var line in after.Skip(first).Take(3))
        {
            text.AppendLine($"    + {line}");
        }

        return text.ToString();
    }
}
