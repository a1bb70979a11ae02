using System.Diagnostics;
using LocalMesh.Hosting;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.Hosting.Tests;

/// <summary>The model's alert rules: the mesh's error-rate alert and a team's PrometheusRules, checked before anything starts.</summary>
public sealed class AlertRulesTests : IDisposable
{
    private const string Promtool = "Debian: apt-get install prometheus, which has promtool; .ci/run installs it";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("localmesh-alerts-");

    // A team's rules file, in the shapes such files have: several groups, an interval, a folded expression, a recording rule with a number.
    private const string TeamRules = """
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata:
          name: bookinfo-slo
          namespace: monitoring
          labels:
            release: prometheus
        spec:
          groups:
          - name: bookinfo.slo
            interval: 30s
            rules:
            - record: slo:availability:target
              expr: 0.999
            - alert: ReviewsSlow
              expr: |
                histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{destination_service_name="reviews"}[5m]))) > 500
              for: 10m
              keep_firing_for: 1m
              labels:
                severity: critical
              annotations:
                summary: "reviews answers slowly: p99 {{ $value }} ms"
        """;

    public void Dispose() => _folder.Delete(recursive: true);

    private (IDistributedApplicationBuilder Builder, IResourceBuilder<MeshResource> Mesh) Model(string? rules = null)
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        if (rules is not null)
        {
            File.WriteAllText(Path.Combine(_folder.FullName, "rules.yaml"), rules.ReplaceLineEndings("\n"));
            mesh.WithConfigurationFiles(_folder.FullName);
        }

        mesh.AddService("ratings").WithWorkload(builder.AddExecutable("ratings-v1", "dotnet", "."), version: "v1");
        return (builder, mesh);
    }

    private static CompiledMesh Compile(IDistributedApplicationBuilder builder, IResourceBuilder<MeshResource> mesh) =>
        MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource);

    [Fact]
    public void TheErrorRateAlertsSettingsAreItsWindowForAndThreshold()
    {
        var (builder, mesh) = Model();
        mesh.WithErrorRateAlert(threshold: 0.2, window: TimeSpan.FromSeconds(90), pendingFor: TimeSpan.FromSeconds(30));

        var (file, yaml) = Compile(builder, mesh).AlertRules.Files("bookinfo").Single();

        Assert.Equal("localmesh.rules.yml", file);
        Assert.Contains("""rate(istio_requests_total{reporter="source",destination_service_namespace="bookinfo",response_code=~"5.."}[1m30s])""", yaml);
        Assert.Contains("> 0.2", yaml);
        Assert.Contains("for: 30s", yaml);
    }

    [Fact]
    public void SettingsOutsideTheirRangeAreOneErrorNamingEachField()
    {
        var (builder, mesh) = Model();
        mesh.WithErrorRateAlert(threshold: 5, window: TimeSpan.FromSeconds(3), pendingFor: TimeSpan.FromMilliseconds(1500));

        var error = Assert.Throws<MeshModelException>(() => Compile(builder, mesh));

        Assert.Equal(["threshold", "window", "pendingFor"], error.Errors.Select(e => e.Field));
        Assert.All(error.Errors, e => Assert.Equal("mesh (WithErrorRateAlert)", e.Resource));
        Assert.Contains("use a value above 0 and below 1", error.Errors[0].Fix);
    }

    [Fact]
    public void ATeamsPrometheusRuleIsEvaluatedLocallyAndExportedAsItIs()
    {
        var (builder, mesh) = Model(TeamRules);

        var compiled = Compile(builder, mesh);

        var files = compiled.AlertRules.Files("default").ToList();
        Assert.Equal(["localmesh.rules.yml", "monitoring-bookinfo-slo.rules.yml"], files.Select(f => f.File));
        Assert.Contains("keep_firing_for: 1m", files[1].Yaml);
        Assert.Contains("record: slo:availability:target", files[1].Yaml);
        var carried = Assert.Single(compiled.Carried);
        Assert.Equal(("PrometheusRule", "bookinfo-slo"), (carried.Kind, carried.Name));
        // Evaluated, so not listed among what the mesh only keeps for the export.
        Assert.DoesNotContain(compiled.Warnings, warning => warning.Contains("bookinfo-slo", StringComparison.Ordinal));
    }

    [RequiresCommandFact("promtool", Promtool)]
    public void TheRulesFilesTheMeshWritesArePrometheusRulesFilesPromtoolAccepts()
    {
        var (builder, mesh) = Model(TeamRules);

        foreach (var (file, yaml) in Compile(builder, mesh).AlertRules.Files("default"))
        {
            Assert.True(PromtoolAccepts(LocalPrometheus.Find("promtool")!, yaml), $"promtool refused {file}:\n{yaml}");
        }
    }

    [Theory]
    [InlineData("for: 10m", "for: 10 minutes", "spec.groups[0].rules[1].for", "is not a Prometheus duration")]
    [InlineData("- alert: ReviewsSlow", "- alert: ReviewsSlow\n      record: reviews:slow", "spec.groups[0].rules[1]", "has both alert and record")]
    [InlineData("- name: bookinfo.slo", "- name: bookinfo.slo\n    rules: []\n  - name: bookinfo.slo", "spec.groups[1].name", "names an earlier group too")]
    public void WhatPrometheusWouldRefuseIsAnErrorNamingTheFileTheObjectAndTheField(string original, string replacement, string field, string problem)
    {
        var (builder, mesh) = Model(TeamRules.Replace(original, replacement, StringComparison.Ordinal));

        var error = Assert.Single(Assert.Throws<MeshModelException>(() => Compile(builder, mesh)).Errors);

        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Problem);
        Assert.Contains("rules.yaml:", error.Resource);
        Assert.EndsWith("PrometheusRule monitoring/bookinfo-slo", error.Resource);
    }

    [RequiresCommandFact("promtool", Promtool)]
    public void AnExpressionPrometheusCannotParseIsAnErrorOnItsExprWithPromtoolsWords()
    {
        var (builder, mesh) = Model(TeamRules.Replace("> 500", "> (500", StringComparison.Ordinal));
        var model = new DistributedApplicationModel(builder.Resources);

        // Compiling alone (an export, mesh-explain) does not depend on promtool; start-up, a saved file and mesh-check do.
        Compile(builder, mesh);
        var error = Assert.Single(Assert.Throws<MeshModelException>(() => MeshModelCompiler.CompileAndCheck(model, mesh.Resource)).Errors);

        Assert.Equal("spec.groups[0].rules[1].expr", error.Field);
        Assert.Contains("Prometheus refuses it: could not parse expression", error.Problem);
        Assert.Contains("rules.yaml:16:", error.Resource);
    }

    // The folders are Prometheus's: a run without it makes none and removes none.
    [RequiresCommandFact("prometheus", Promtool)]
    public void TheFoldersOfEarlierRunsWhoseAppHostHasExitedAreRemovedAtTheNextStart()
    {
        using var exited = Process.Start(new ProcessStartInfo("dotnet", ["--version"]) { RedirectStandardOutput = true })!;
        exited.WaitForExit();
        var leftover = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"localmesh-prometheus-{exited.Id}-mesh"));
        var running = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"localmesh-prometheus-{Environment.ProcessId}-other"));
        try
        {
            Model();

            Assert.False(Directory.Exists(leftover.FullName), "The exited run's folder is still there.");
            Assert.True(Directory.Exists(running.FullName), "A running AppHost's folder was removed.");
        }
        finally
        {
            running.Delete(recursive: true);
        }
    }

    private static bool PromtoolAccepts(string promtool, string yaml)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, yaml);
            using var process = Process.Start(new ProcessStartInfo(promtool, ["check", "rules", file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            process.WaitForExit(TimeSpan.FromSeconds(10));
            return process.ExitCode == 0;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
