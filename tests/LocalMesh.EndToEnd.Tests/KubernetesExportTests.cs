using System.Diagnostics;
using k8s;
using k8s.Models;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The sample exported by the documented command: the committed folder, read back, validated, rendered.</summary>
[Collection(ProcessesCollection.Name)]
public sealed class KubernetesExportTests(SampleExport sample) : IClassFixture<SampleExport>
{
    private const string Regenerate = "dotnet run --project AppHost -- --operation publish --step k8s-export --output-path ../deploy";

    /// <summary>Runs the export step of the built AppHost into a fresh folder.</summary>
    internal static async Task<string> ExportAsync(params string[] args)
    {
        var (exitCode, text, output) = await RunExportAsync(args);
        Assert.True(exitCode == 0, $"The export failed ({exitCode}):\n{text}");
        return output;
    }

    private static async Task<(int ExitCode, string Text, string Output)> RunExportAsync(params string[] args)
    {
        var output = Path.Combine(Path.GetTempPath(), $"localmesh-export-{Guid.NewGuid():N}");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var process = Process.Start(Repository.AppHost(["--operation", "publish", "--step", "k8s-export", "--output-path", output, .. args]))!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation.Token);
        var stderr = process.StandardError.ReadToEndAsync(cancellation.Token);
        await process.WaitForExitAsync(cancellation.Token);
        return (process.ExitCode, await stdout + await stderr, output);
    }

    [Fact]
    public async Task AnInvalidModelExportsNothingAndSaysWhyWithoutAStackTrace()
    {
        var (exitCode, text, output) = await RunExportAsync("--scenario", "broken-routes");

        Assert.Equal(1, exitCode);
        Assert.Contains("Export failed: The mesh model has 3 problems", text);
        Assert.Contains("'gateway-eror' is not a retry condition", text);
        Assert.DoesNotContain("   at ", text);
        Assert.False(Directory.Exists(Path.Combine(output, "base")));
    }

    private static IEnumerable<string> Manifests(string folder) =>
        Directory.EnumerateFiles(folder, "*.yaml", SearchOption.AllDirectories).Where(path => Path.GetFileName(path) != "kustomization.yaml").Order(StringComparer.Ordinal);

    [Fact]
    public void TheCommittedDeployFolderIsWhatTheExportWritesNow() =>
        GoldenFolder.AssertSame(Path.Combine(Repository.Root, "deploy"), sample.Folder, Regenerate);

    [Fact]
    public async Task ExportingThenLoadingTheExportAsTheOnlyRulesThenExportingAgainGivesTheSameFiles()
    {
        // With --mesh-config the sample declares no rules of its own: the exported files alone give them back.
        var second = await ExportAsync("--mesh-config", sample.Folder);
        try
        {
            GoldenFolder.AssertSame(sample.Folder, second, regenerate: null);
        }
        finally
        {
            Directory.Delete(second, recursive: true);
        }
    }

    [Fact]
    public void EveryExportedObjectReadsBackAsAKubernetesClientModelOrATypedCustomResource()
    {
        var objects = Manifests(sample.Folder).SelectMany(path => KubernetesYaml.LoadAllFromString(File.ReadAllText(path), CustomResourceTypes.TypeMap)).ToList();

        Assert.All(objects, item => Assert.Contains(item.GetType(), CustomResourceTypes.Kinds.Select(kind => kind.Type)));
        var kinds = objects.Cast<IKubernetesObject<V1ObjectMeta>>().Select(item => $"{item.ApiVersion}/{item.Kind}").ToHashSet();
        // The sample uses every part of the model.
        Assert.Superset(
            new HashSet<string>
            {
                "v1/Namespace", "v1/ServiceAccount", "v1/Service", "apps/v1/Deployment", "networking.istio.io/v1/DestinationRule",
                "networking.istio.io/v1/VirtualService", "networking.istio.io/v1/Gateway", "serving.knative.dev/v1/Service",
                "eventing.knative.dev/v1/Broker", "eventing.knative.dev/v1/Trigger", "monitoring.coreos.com/v1/ServiceMonitor",
                "monitoring.coreos.com/v1/PrometheusRule", "argoproj.io/v1alpha1/Application",
            },
            kinds);
    }

    [RequiresEnvironmentFact("K8S_VALIDATE", "k8s-validate's validate.mjs (installed with npm ci; .ci/run does it)")]
    public async Task TheSampleAndEveryScenarioExportPassTheIndependentValidatorStrictly()
    {
        var scenarios = BookinfoScenarios.All.Keys.Where(name => name != "broken-routes").Prepend(null);
        foreach (var scenario in scenarios)
        {
            var output = scenario is null ? sample.Folder : await ExportAsync("--scenario", scenario);
            try
            {
                var (exitCode, text) = await RunAsync("node", [Environment.GetEnvironmentVariable("K8S_VALIDATE")!, "--strict", "--quiet", output]);
                Assert.True(exitCode == 0 && text.Contains(" 0 failed", StringComparison.Ordinal) && !text.Contains("warnings", StringComparison.Ordinal),
                    $"k8s-validate --strict on the export of {scenario ?? "the sample"} ({exitCode}):\n{text}");
            }
            finally
            {
                if (output != sample.Folder)
                {
                    Directory.Delete(output, recursive: true);
                }
            }
        }
    }

    [RequiresCommandFact("kubectl", "install kubectl (its kustomize renders the export)")]
    public async Task KubectlKustomizeRendersEveryOverlayWithEveryObjectAndTheOverlaysValues()
    {
        var output = sample.Folder;
        var baseObjects = Manifests(Path.Combine(output, "base")).Sum(path => KubernetesYaml.LoadAllFromString(File.ReadAllText(path), CustomResourceTypes.TypeMap).Count);
        foreach (var (overlay, level) in new[] { ("development", "Debug"), ("production", "Warning") })
        {
            var (exitCode, rendered) = await RunAsync("kubectl", ["kustomize", Path.Combine(output, "overlays", overlay)]);
            Assert.True(exitCode == 0, $"kubectl kustomize overlays/{overlay} failed:\n{rendered}");
            var objects = KubernetesYaml.LoadAllFromString(rendered, CustomResourceTypes.TypeMap);

            var config = Assert.Single(objects.OfType<V1ConfigMap>());
            Assert.Equal(baseObjects + 1, objects.Count); // every object of the base, and the overlay's ConfigMap
            Assert.Equal(("productpage-v1-config", "default", level), (config.Metadata.Name, config.Metadata.NamespaceProperty, config.Data["Logging__LogLevel__Default"]));
        }

        // The platform's folder renders on its own, every object of it.
        var (platformExit, platform) = await RunAsync("kubectl", ["kustomize", Path.Combine(output, "platform")]);
        Assert.True(platformExit == 0, $"kubectl kustomize platform failed:\n{platform}");
        var platformObjects = Manifests(Path.Combine(output, "platform")).Sum(path => KubernetesYaml.LoadAllFromString(File.ReadAllText(path), CustomResourceTypes.TypeMap).Count);
        Assert.Equal(platformObjects, KubernetesYaml.LoadAllFromString(platform, CustomResourceTypes.TypeMap).Count);
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string command, IEnumerable<string> args) =>
        Processes.RunAsync(command, args, TimeSpan.FromMinutes(1));
}

/// <summary>The sample exported once, by the documented step, for every test that only reads the export.</summary>
public sealed class SampleExport : IAsyncLifetime
{
    /// <summary>The export's folder; tests read it and never change it.</summary>
    public string Folder { get; private set; } = "";

    public async Task InitializeAsync() => Folder = await KubernetesExportTests.ExportAsync();

    public Task DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        return Task.CompletedTask;
    }
}
