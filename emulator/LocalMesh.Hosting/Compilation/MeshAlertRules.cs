using LocalMesh.Emulator.Configuration;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LocalMesh.Kubernetes.Export;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Kubernetes.Import;

namespace LocalMesh.Hosting;

/// <summary>
/// The alert rules of the model: the mesh's error-rate alert and the PrometheusRules of its
/// configuration files. Compiling checks the alert's settings and each rule's fields; where
/// Prometheus's <c>promtool</c> is installed, <see cref="CheckWithPromtool"/> checks each file as
/// Prometheus reads it — at start-up, on a saved file and in <c>mesh-check</c>, not on every compile
/// (an export does not depend on what the machine has installed). Written as Prometheus rules
/// files, one per PrometheusRule, as the Prometheus operator writes them.
/// </summary>
/// <param name="ErrorRate">The mesh's error-rate alert.</param>
/// <param name="FromFiles">The PrometheusRules of the configuration files.</param>
internal sealed partial record MeshAlertRules(ErrorRateAlert ErrorRate, IReadOnlyList<LoadedObject<PrometheusRuleSpec>> FromFiles)
{
    /// <summary>The shortest rate window: two scrapes of the local Prometheus, or <c>rate()</c> has nothing to compare.</summary>
    public static readonly TimeSpan ShortestWindow = 2 * LocalPrometheus.ScrapeInterval;

    /// <summary>The rules files, by file name: the mesh's own, then one per PrometheusRule of the files.</summary>
    public IEnumerable<(string File, string Yaml)> Files(string meshNamespace) =>
    [
        ("localmesh.rules.yml", MonitoringExporter.RulesFile([MonitoringExporter.RuleGroup(meshNamespace, ErrorRate)])),
        .. FromFiles.Select(rule => (FileName(rule.Document, meshNamespace), MonitoringExporter.RulesFile(rule.Spec.Groups))),
    ];

    /// <summary>The model's alert rules, every problem added to <paramref name="errors"/>.</summary>
    public static MeshAlertRules Compile(MeshResource mesh, IReadOnlyList<LoadedObject<PrometheusRuleSpec>> fromFiles, List<ConfigError> errors)
    {
        var alert = mesh.Annotations.OfType<MeshErrorRateAlertAnnotation>().LastOrDefault()?.Alert ?? ErrorRateAlert.Default;
        var resource = $"{mesh.Name} (WithErrorRateAlert)";
        if (!(alert.Threshold is > 0 and < 1))
        {
            errors.Add(new(resource, "threshold", $"is {alert.Threshold.ToString(CultureInfo.InvariantCulture)}, not a share of requests.", "use a value above 0 and below 1, e.g. 0.05 for 5%."));
        }

        if (alert.Window < ShortestWindow || alert.Window.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            errors.Add(new(resource, "window", $"is {alert.Window}.", $"use whole seconds, at least {ShortestWindow.TotalSeconds:0} s (two scrapes), e.g. TimeSpan.FromMinutes(5)."));
        }

        if (alert.For < TimeSpan.Zero || alert.For.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            errors.Add(new(resource, "pendingFor", $"is {alert.For}.", "use whole seconds, 0 or more (0 fires at once), e.g. TimeSpan.FromMinutes(5)."));
        }

        foreach (var rule in fromFiles)
        {
            errors.AddRange(Check(rule, mesh.Namespace));
        }

        return new MeshAlertRules(alert, fromFiles);
    }

    /// <summary>
    /// Each PrometheusRule's expressions as Prometheus parses them (<c>promtool check rules</c>); none
    /// when promtool is not installed (Prometheus, which would need them, is not either).
    /// </summary>
    public IReadOnlyList<ConfigError> CheckWithPromtool(string meshNamespace) =>
        [.. FromFiles.SelectMany(rule => Promtool(rule).Select(problem => Error(rule, problem, meshNamespace)))];

    /// <summary>What Prometheus would refuse in a PrometheusRule's fields.</summary>
    private static IEnumerable<ConfigError> Check(LoadedObject<PrometheusRuleSpec> rule, string meshNamespace)
    {
        var problems = new List<(string Field, string Problem, string Fix)>();
        foreach (var (group, g) in rule.Spec.Groups.Select((group, index) => (group, index)))
        {
            var at = $"spec.groups[{g}]";
            if (group.Name.Length == 0)
            {
                problems.Add(($"{at}.name", "is empty.", "name the group."));
            }
            else if (rule.Spec.Groups.Take(g).Any(earlier => earlier.Name == group.Name))
            {
                problems.Add(($"{at}.name", $"'{group.Name}' names an earlier group too.", "give each group of the PrometheusRule its own name."));
            }

            CheckDuration(group.Interval, $"{at}.interval", problems);
            foreach (var (item, r) in group.Rules.Select((item, index) => (item, index)))
            {
                var field = $"{at}.rules[{r}]";
                if ((item.Alert is null) == (item.Record is null))
                {
                    problems.Add((field, "has both alert and record, or neither.", "give an alerting rule 'alert' or a recording rule 'record', not both."));
                }
                else if (item.Record is not null && (item.For is not null || item.KeepFiringFor is not null || item.Annotations is not null))
                {
                    problems.Add((field, "is a recording rule with for, keep_firing_for or annotations, which only alerting rules have.", "remove them, or make it an alerting rule."));
                }

                if (item.Expr.Trim().Length == 0)
                {
                    problems.Add(($"{field}.expr", "is empty.", "write the PromQL expression the rule evaluates."));
                }

                CheckDuration(item.For, $"{field}.for", problems);
                CheckDuration(item.KeepFiringFor, $"{field}.keep_firing_for", problems);
            }
        }

        return problems.Select(problem => Error(rule, problem, meshNamespace));
    }

    private static ConfigError Error(LoadedObject<PrometheusRuleSpec> rule, (string Field, string Problem, string Fix) problem, string meshNamespace) =>
        new($"{rule.At(problem.Field)} {rule.Document.Object(meshNamespace)}", problem.Field, problem.Problem, problem.Fix);

    private static void CheckDuration(string? value, string field, List<(string, string, string)> problems)
    {
        if (value is not null && !PrometheusDuration().IsMatch(value))
        {
            problems.Add((field, $"'{value}' is not a Prometheus duration.", "write a number and a unit (ms, s, m, h, d, w, y), e.g. 5m or 1h30m."));
        }
    }

    /// <summary><c>promtool check rules</c> on the object's rules file, its findings turned back into the object's fields.</summary>
    private static IEnumerable<(string Field, string Problem, string Fix)> Promtool(LoadedObject<PrometheusRuleSpec> rule)
    {
        if (LocalPrometheus.Find("promtool") is not { } promtool)
        {
            return [];
        }

        var file = Path.Combine(Path.GetTempPath(), $"localmesh-check-{Guid.NewGuid():N}.rules.yml");
        try
        {
            File.WriteAllText(file, MonitoringExporter.RulesFile(rule.Spec.Groups));
            using var process = Process.Start(new ProcessStartInfo(promtool, ["check", "rules", file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill();
                return [];
            }

            if (process.ExitCode == 0)
            {
                return [];
            }

            return $"{output.Result}\n{error.Result}".Split('\n').Select(line => line.Replace(file, "", StringComparison.Ordinal).Trim(' ', ':'))
                .Where(line => line.Length > 0 && !line.StartsWith("Checking", StringComparison.Ordinal) && line != "FAILED")
                .Select(line => PromtoolFinding().Match(line) is { Success: true } found
                    && rule.Spec.Groups.FindIndex(group => group.Name == found.Groups["group"].Value) is var g and >= 0
                    ? ($"spec.groups[{g}].rules[{int.Parse(found.Groups["rule"].Value, CultureInfo.InvariantCulture) - 1}]{(found.Groups["problem"].Value.Contains("expression", StringComparison.Ordinal) ? ".expr" : "")}",
                        $"Prometheus refuses it: {found.Groups["problem"].Value}.", "correct it until `promtool check rules` accepts it.")
                    : ("spec", $"Prometheus refuses it: {line}.", "correct it until `promtool check rules` accepts it."))
                .ToList();
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The rules file of a PrometheusRule, named after it as the Prometheus operator names them.</summary>
    private static string FileName(ConfigDocument document, string meshNamespace) => $"{document.Namespace ?? meshNamespace}-{document.Name}.rules.yml";

    /// <summary>Prometheus's duration: units from the largest down, each at most once, e.g. <c>1h30m</c>.</summary>
    [GeneratedRegex("^(0|(?=.)([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$")]
    private static partial Regex PrometheusDuration();

    /// <summary>A promtool finding about a rule, e.g. <c>5:11: group "g", rule 1, "A": could not parse expression: ...</c>.</summary>
    [GeneratedRegex("""group "(?<group>[^"]*)", rule (?<rule>\d+), "[^"]*": (?<problem>.*)$""")]
    private static partial Regex PromtoolFinding();
}
