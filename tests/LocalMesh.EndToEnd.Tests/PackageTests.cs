using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// LocalMesh the way a team meets it: packed to a folder feed, added with <c>dotnet add package</c>
/// and one line to a fresh app made with Aspire's own starter template, then run by the team's own
/// tests and driven with Aspire's CLI.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class PackageTests(TeamApp team) : IClassFixture<TeamApp>
{
    [Fact]
    public void ThePackageCarriesTheLibrariesTheirDocsAndSymbolsAndOnlyWhatItUsesAsDependencies()
    {
        using var package = System.IO.Compression.ZipFile.OpenRead(team.Package);
        var files = package.Entries.Select(entry => entry.FullName).ToList();
        foreach (var assembly in new[] { "LocalMesh.Hosting", "LocalMesh.Emulator", "LocalMesh.Kubernetes" })
        {
            Assert.Contains($"lib/net10.0/{assembly}.dll", files);
            Assert.Contains($"lib/net10.0/{assembly}.xml", files);
        }

        Assert.Contains("PACKAGE.md", files);
        using var symbols = System.IO.Compression.ZipFile.OpenRead(Path.ChangeExtension(team.Package, ".snupkg"));
        Assert.Equal(3, symbols.Entries.Count(entry => entry.FullName.EndsWith(".pdb", StringComparison.Ordinal)));

        using var reader = new StreamReader(package.GetEntry("LocalMesh.Hosting.nuspec")!.Open());
        var nuspec = reader.ReadToEnd();
        var dependencies = Regex.Matches(nuspec, "<dependency id=\"([^\"]+)\" version=\"([^\"]+)\"").ToDictionary(match => match.Groups[1].Value, match => match.Groups[2].Value);
        // Any Aspire 13 a team's AppHost is on (from the one built against), and nothing only this repository's restore needs.
        Assert.Equal("[13.6.5, 14.0.0)", dependencies["Aspire.Hosting"]);
        Assert.DoesNotContain("Polly.Core", dependencies.Keys);
        Assert.DoesNotContain("Nerdbank.MessagePack", dependencies.Keys);
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("LocalMesh.", StringComparison.Ordinal) || id.Contains("xunit", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
        Assert.Contains("<readme>PACKAGE.md</readme>", nuspec);
        Assert.Matches("<repository type=\"git\" url=\"[^\"]+\" commit=\"[0-9a-f]{40}\"", nuspec);
    }

    [Fact]
    public async Task TheTeamsOwnTestsPassOnItsAppMeshedWithOneLine()
    {
        // TeamApp/MeshTests.cs, run in the team's test project: the weather page through the ingress
        // gateway, both sidecars' spans in one trace, three replicas, a fault, STRICT mTLS, a crash restart.
        var (exitCode, output) = await team.RunAsync("dotnet", ["test", "Shop.Tests", "--logger", "console;verbosity=normal"], TimeSpan.FromMinutes(8));
        Assert.True(exitCode == 0, $"dotnet test in the team's app failed ({exitCode}):\n{output}");
        Assert.Contains("Passed Shop.Tests.MeshTests.TheWeatherPageGoesThroughBothSidecarsToEveryReplicaAndMeetsTheMeshsRules", output);
        Assert.Contains("Passed Shop.Tests.MeshTests.WithoutSidecarOnTheApiMakesTheFrontEndsCallsDirectAgain", output);
    }

    [Fact]
    public async Task AspireDoListsAndRunsTheMeshsSteps()
    {
        var (listed, steps) = await team.RunAsync("aspire", ["do", "--list-steps"], TimeSpan.FromMinutes(3));
        Assert.True(listed == 0, steps);
        foreach (var step in new[] { "mesh-check", "mesh-explain", "k8s-export", "k8s-deploy" })
        {
            Assert.Contains(step, steps);
        }

        var (checkedCode, check) = await team.RunAsync("aspire", ["do", "mesh-check"], TimeSpan.FromMinutes(3));
        Assert.True(checkedCode == 0 && check.Contains("mesh-check: no errors", StringComparison.Ordinal), check);

        var (explained, explain) = await team.RunAsync("aspire", ["do", "mesh-explain", "--caller", "webfrontend", "--host", "apiservice", "--path", "/weatherforecast"], TimeSpan.FromMinutes(3));
        Assert.True(explained == 0 && explain.Contains("apiservice", StringComparison.Ordinal), explain);
    }

    [RequiresEnvironmentFact("K8S_VALIDATE", "k8s-validate's validate.mjs (installed with npm ci; .ci/run does it)")]
    public async Task AspirePublishWritesAnExportThatPassesTheIndependentValidatorStrictly()
    {
        var export = await team.ExportAsync();
        var (exitCode, text) = await Processes.RunAsync("node", [Environment.GetEnvironmentVariable("K8S_VALIDATE")!, "--strict", "--quiet", export], TimeSpan.FromMinutes(1));
        Assert.True(exitCode == 0 && text.Contains(" 0 failed", StringComparison.Ordinal) && !text.Contains("warnings", StringComparison.Ordinal),
            $"k8s-validate --strict on the team's export ({exitCode}):\n{text}");
    }

    [RequiresCommandFact("kubectl", "install kubectl (its kustomize renders the export)")]
    public async Task AspirePublishWritesOverlaysKubectlKustomizeRendersWithTheReplicasAndTheIngress()
    {
        var export = await team.ExportAsync();
        foreach (var overlay in new[] { "development", "production" })
        {
            var (exitCode, rendered) = await Processes.RunAsync("kubectl", ["kustomize", Path.Combine(export, "overlays", overlay)], TimeSpan.FromMinutes(1));
            Assert.True(exitCode == 0, $"kubectl kustomize overlays/{overlay} failed:\n{rendered}");
            // The API's three replicas are its Deployment's.
            var objects = KubernetesYaml.LoadAllFromString(rendered, CustomResourceTypes.TypeMap);
            var deployments = objects.OfType<V1Deployment>().ToList();
            Assert.Equal(3, deployments.Single(deployment => deployment.Metadata.Name == "apiservice").Spec.Replicas);
            Assert.Contains(deployments, deployment => deployment.Metadata.Name == "webfrontend");
            // The front end's external endpoint, served through the ingress gateway locally, is served through Istio's in the cluster.
            Assert.Contains(objects.OfType<IstioGateway>(), gateway => gateway.Metadata.Name == "webfrontend-gateway");
            Assert.Contains(objects.OfType<IstioVirtualService>(), route => route.Spec.Gateways!.Contains("webfrontend-gateway")
                && route.Spec.Http!.Single().Route!.Single().Destination.Host == "webfrontend");
        }
    }
}

/// <summary>
/// A fresh app from Aspire's starter template (with its xUnit test project) that got LocalMesh from
/// a folder feed with <c>dotnet add package</c> and one line, made once for the tests that read it.
/// </summary>
public sealed class TeamApp : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("localmesh-team-").FullName;
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _exporting = new(1, 1);
    private string? _export;
    private string _version = "";
    private string _aspire = "aspire";

    /// <summary>The app's folder (its solution, AppHost, services and tests).</summary>
    public string Folder => Path.Combine(_root, "Shop");

    /// <summary>The packed <c>LocalMesh.Hosting</c>.</summary>
    public string Package { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var feed = Path.Combine(_root, "feed");
        // A version of its own, so NuGet's cache never hands out an earlier pack.
        var suffix = $"e2e.{DateTime.UtcNow:yyyyMMddHHmmss}";
        await MustAsync("dotnet", ["pack", Path.Combine(Repository.Root, "emulator", "LocalMesh.Hosting"), "--no-build", "-c", Repository.Configuration, "-o", feed, "--version-suffix", suffix], _root, TimeSpan.FromMinutes(3));
        Package = Directory.GetFiles(feed, "LocalMesh.Hosting.*.nupkg").Single();
        _version = Path.GetFileNameWithoutExtension(Package)["LocalMesh.Hosting.".Length..];

        // Aspire's CLI: the template's AppHost builds through its bundle, and the team drives the app with it.
        var tools = await AspireCli.FolderAsync();
        _aspire = Path.Combine(tools, "aspire");
        _environment["PATH"] = tools + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        // The template made with --no-https serves plain HTTP; its launch profile does not say so.
        _environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";

        // Aspire's own template pack (restored with this project by its PackageDownload), installed into a hive of the test's own.
        var hive = Path.Combine(_root, "templates");
        var templates = Path.Combine(Repository.NuGetPackageRoot, "aspire.projecttemplates", AspireCli.Version, $"aspire.projecttemplates.{AspireCli.Version}.nupkg");
        await MustAsync("dotnet", ["new", "install", templates, "--debug:custom-hive", hive], _root, TimeSpan.FromMinutes(2));
        // No HTTPS: there is no development certificate on a CI machine.
        await MustAsync("dotnet", ["new", "aspire-starter", "-o", Folder, "-n", "Shop", "-t", "xUnit.net", "--no-https", "--skipRestore", "--debug:custom-hive", hive], _root, TimeSpan.FromMinutes(2));

        // The one change this machine needs: its feed serves the AppHost SDK 13.6.4, not 13.6.5.
        var appHostProject = Path.Combine(Folder, "Shop.AppHost", "Shop.AppHost.csproj");
        File.WriteAllText(appHostProject, File.ReadAllText(appHostProject).Replace($"Aspire.AppHost.Sdk/{AspireCli.Version}", "Aspire.AppHost.Sdk/13.6.4", StringComparison.Ordinal));

        // What README's "Use it in your own AppHost" says: the folder feed, the package, the one line.
        await MustAsync("dotnet", ["new", "nugetconfig"], Folder, TimeSpan.FromMinutes(1));
        await MustAsync("dotnet", ["nuget", "add", "source", feed, "--name", "localmesh", "--configfile", "nuget.config"], Folder, TimeSpan.FromMinutes(1));
        await MustAsync("dotnet", ["add", "Shop.AppHost", "package", "LocalMesh.Hosting", "--version", _version], Folder, TimeSpan.FromMinutes(4));
        var appHost = Path.Combine(Folder, "Shop.AppHost", "AppHost.cs");
        var program = File.ReadAllText(appHost);
        var newLine = program.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        const string Create = "var builder = DistributedApplication.CreateBuilder(args);";
        const string ApiHealth = ".WithHttpHealthCheck(\"/health\");";
        Assert.Contains(Create, program);
        Assert.Contains(ApiHealth, program);
        program = program.Replace(Create, Create + newLine + newLine + "builder.AddMesh(\"mesh\").WithAutomaticSidecars();", StringComparison.Ordinal);
        // Three replicas of the API (the template's first project), to see the mesh balance them.
        var api = program.IndexOf(ApiHealth, StringComparison.Ordinal);
        program = program[..api] + ".WithHttpHealthCheck(\"/health\")" + newLine + "    .WithReplicas(3);" + program[(api + ApiHealth.Length)..];
        File.WriteAllText(appHost, program);

        File.Copy(Path.Combine(AppContext.BaseDirectory, "TeamApp", "MeshTests.cs"), Path.Combine(Folder, "Shop.Tests", "MeshTests.cs"));
        await MustAsync("dotnet", ["build"], Folder, TimeSpan.FromMinutes(6));
    }

    /// <summary>Runs a command in the app's folder, with Aspire's CLI on the PATH (<c>aspire</c> is that CLI).</summary>
    public Task<(int ExitCode, string Output)> RunAsync(string command, IEnumerable<string> args, TimeSpan timeout) =>
        Processes.RunAsync(command == "aspire" ? _aspire : command, args, timeout, Folder, _environment);

    /// <summary>The Kubernetes export <c>aspire publish -o</c> wrote, made once.</summary>
    public async Task<string> ExportAsync()
    {
        await _exporting.WaitAsync();
        try
        {
            if (_export is null)
            {
                var export = Path.Combine(_root, "k8s");
                var (exitCode, output) = await RunAsync("aspire", ["publish", "-o", export], TimeSpan.FromMinutes(4));
                Assert.True(exitCode == 0 && File.Exists(Path.Combine(export, "base", "kustomization.yaml")), $"aspire publish -o {export} ({exitCode}):\n{output}");
                _export = export;
            }

            return _export;
        }
        finally
        {
            _exporting.Release();
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        // The package's test version leaves nothing behind in NuGet's cache either.
        var cached = Path.Combine(Repository.NuGetPackageRoot, "localmesh.hosting", _version.ToLowerInvariant());
        if (_version.Length > 0 && Directory.Exists(cached))
        {
            Directory.Delete(cached, recursive: true);
        }

        return Task.CompletedTask;
    }

    private async Task MustAsync(string command, string[] args, string directory, TimeSpan timeout)
    {
        var (exitCode, output) = await Processes.RunAsync(command, args, timeout, directory, _environment);
        Assert.True(exitCode == 0, $"'{command} {string.Join(' ', args)}' failed ({exitCode}):\n{output}");
    }
}
