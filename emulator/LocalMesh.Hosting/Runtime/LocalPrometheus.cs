using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace LocalMesh.Hosting;

/// <summary>Finds Prometheus, adds it to the app, and writes what it reads: its configuration and the rules files.</summary>
internal static class LocalPrometheus
{
    /// <summary>
    /// How often the local Prometheus scrapes and evaluates: a third of the exported ServiceMonitor's
    /// 15 s, so a change shows sooner on a laptop; a rule's windows and <c>for</c> mean the same.
    /// </summary>
    public static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(5);

    /// <summary>What to do where Prometheus is not installed, said at start-up and on the mesh in the dashboard.</summary>
    public const string InstallHint =
        "Prometheus is not installed; install it (Debian/Ubuntu: sudo apt-get install prometheus; macOS: brew install prometheus) or put prometheus and promtool on PATH, and run again.";

    /// <summary>The start of the name of a run's folder in the temporary directory, before the AppHost's process ID.</summary>
    private const string DirectoryPrefix = "localmesh-prometheus-";

    private const string ConfigurationFile = "prometheus.yml";
    private const string RulesDirectory = "rules";

    /// <summary>A command on the PATH, or null.</summary>
    public static string? Find(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, OperatingSystem.IsWindows() ? $"{command}.exe" : command))
            .FirstOrDefault(File.Exists);

    /// <summary>Adds Prometheus under the mesh when the app runs and Prometheus is installed.</summary>
    public static void Add(IDistributedApplicationBuilder builder, MeshResource mesh)
    {
        if (!builder.ExecutionContext.IsRunMode || Find("prometheus") is not { } command)
        {
            return;
        }

        DeleteLeftovers();
        // One per app, not per process: a test process runs one app after another, and a Prometheus still stopping holds its data.
        var directory = Path.Combine(Path.GetTempPath(), $"{DirectoryPrefix}{Environment.ProcessId}-{mesh.Name}-{Guid.NewGuid():N}");
        var prometheus = new PrometheusResource($"{mesh.Name}-prometheus", command, directory, mesh);
        var resource = builder.AddResource(prometheus)
            .WithHttpEndpoint(name: PrometheusResource.EndpointName, env: null)
            .WithHttpHealthCheck("/-/ready")
            .ExcludeFromManifest();
        var listen = prometheus.GetEndpoint(PrometheusResource.EndpointName).Property(EndpointProperty.TargetPort);
        resource.WithArgs(context =>
        {
            context.Args.Add($"--config.file={Path.Combine(directory, ConfigurationFile)}");
            context.Args.Add($"--storage.tsdb.path={Path.Combine(directory, "data")}");
            // Loopback only, as every listener of the mesh; reloaded (rules files changed) through /-/reload.
            context.Args.Add(ReferenceExpression.Create($"--web.listen-address=127.0.0.1:{listen}"));
            context.Args.Add("--web.enable-lifecycle");
            // Prometheus logs to standard error, which the dashboard shows as errors: only what is worth reading.
            context.Args.Add("--log.level=warn");
        });
    }

    /// <summary>
    /// Writes the configuration (scrape <paramref name="metrics"/>, evaluate every rules file) and
    /// the rules files, replacing older ones; whether a rules file changed.
    /// </summary>
    public static bool WriteConfiguration(PrometheusResource prometheus, Uri metrics, IEnumerable<(string File, string Yaml)> rules)
    {
        var directory = prometheus.WorkingDirectory;
        var rulesDirectory = Path.Combine(directory, RulesDirectory);
        Directory.CreateDirectory(rulesDirectory);
        var files = rules.ToDictionary(rule => Path.Combine(rulesDirectory, rule.File), rule => rule.Yaml);
        var changed = false;
        foreach (var stale in Directory.EnumerateFiles(rulesDirectory).Where(file => !files.ContainsKey(file)))
        {
            File.Delete(stale);
            changed = true;
        }

        foreach (var (file, yaml) in files.Where(rule => !File.Exists(rule.Key) || File.ReadAllText(rule.Key) != rule.Value))
        {
            File.WriteAllText(file, yaml);
            changed = true;
        }

        var interval = Kubernetes.Export.MonitoringExporter.Duration(ScrapeInterval);
        var configuration = new PrometheusConfiguration(
            new PrometheusGlobal(interval, interval),
            [new PrometheusScrapeJob("localmesh", metrics.AbsolutePath, [new PrometheusTargets([metrics.Authority])])],
            [Path.Combine(rulesDirectory, "*.yml")]);
        File.WriteAllText(Path.Combine(directory, ConfigurationFile), Serializer.Serialize(configuration));
        return changed;
    }

    /// <summary>Has Prometheus read its configuration and rules files again (its <c>/-/reload</c>); a failure is logged, not thrown.</summary>
    public static async Task ReloadAsync(PrometheusResource prometheus, ILogger log)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.PostAsync(new Uri(new Uri(prometheus.GetEndpoint(PrometheusResource.EndpointName).Url), "/-/reload"), content: null);
            response.EnsureSuccessStatusCode();
            log.LogInformation("{Prometheus} reloaded the alert rules.", prometheus.Name);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            log.LogWarning("{Prometheus} did not reload the alert rules ({Error}); they apply at the next start.", prometheus.Name, ex.Message);
        }
    }

    /// <summary>Removes what this run wrote (Prometheus may still be closing its storage; then the next run removes it).</summary>
    public static void Delete(PrometheusResource prometheus) => TryDelete(prometheus.WorkingDirectory);

    /// <summary>The folders of earlier runs whose AppHost has exited: what their own clean-up could not remove.</summary>
    private static void DeleteLeftovers()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), $"{DirectoryPrefix}*"))
        {
            var name = Path.GetFileName(folder)[DirectoryPrefix.Length..];
            if (int.TryParse(name[..Math.Max(0, name.IndexOf('-'))], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var owner)
                && owner != Environment.ProcessId && !IsRunning(owner))
            {
                TryDelete(folder);
            }
        }

        static bool IsRunning(int processId)
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(processId);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // In use, or not ours to remove: it is in the temporary directory.
        }
    }

    private static readonly ISerializer Serializer = new SerializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();

    private sealed record PrometheusConfiguration(PrometheusGlobal Global, IReadOnlyList<PrometheusScrapeJob> ScrapeConfigs, IReadOnlyList<string> RuleFiles);

    private sealed record PrometheusGlobal(string ScrapeInterval, string EvaluationInterval);

    private sealed record PrometheusScrapeJob(string JobName, string MetricsPath, IReadOnlyList<PrometheusTargets> StaticConfigs);

    private sealed record PrometheusTargets(IReadOnlyList<string> Targets);
}
