using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting.Tests;

/// <summary>
/// A saved file while the app runs: its rules are compiled against the run's topology and swapped
/// in; the workloads, calls and listeners stay as they started (on the mesh's own data plane, the
/// orchestrator aside).
/// </summary>
public sealed class RuleSwapTests : IAsyncLifetime
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("localmesh-swap-");
    private readonly RecordingLoggerProvider _logs = new();
    private MeshServer? _server;
    private ConfigurationFilesWatcher? _watcher;

    private string File(string name) => Path.Combine(_folder.FullName, name);

    private static string Reviews(string subset, string timeout = "1s") =>
        IstioYaml.File(IstioYaml.Subsets("reviews", "v1", "v2"), IstioYaml.RouteAll("reviews", subset, timeout));

    private static string Trigger(string type) => $$$"""
        apiVersion: eventing.knative.dev/v1
        kind: Trigger
        metadata: {name: posted}
        spec:
          broker: events
          filter: {attributes: {type: {{{type}}}}}
          subscriber:
            ref: {apiVersion: v1, kind: Service, name: reviews}
        """;

    /// <summary>Starts the mesh of a small app (productpage → reviews v1/v2, a broker, a cache it calls directly) with its files watched.</summary>
    private async Task<MeshControl> StartAsync()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh").WithConfigurationFiles(_folder.FullName);
        var reviews = mesh.AddService("reviews")
            .WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", "."), version: "v1")
            .WithWorkload(builder.AddExecutable("reviews-v2", "dotnet", "."), version: "v2");
        var cache = builder.AddExecutable("cache", "dotnet", ".").WithHttpEndpoint(name: "http");
        mesh.AddService("productpage").WithWorkload(builder.AddExecutable("productpage-v1", "dotnet", ".").WithReference(reviews).WithReference(cache.GetEndpoint("http")));
        mesh.AddBroker("events");
        var model = new DistributedApplicationModel(builder.Resources);
        var compiled = MeshModelCompiler.CompileAndCheck(model, mesh.Resource);
        Assert.Contains(compiled.Warnings, warning => warning.Contains("direct, not through the mesh", StringComparison.Ordinal));

        _server = await MeshServer.StartAsync(compiled.Config);
        var control = new MeshControl(_server);
        _watcher = new ConfigurationFilesWatcher(compiled.Topology, control, _logs.CreateLogger("mesh"), (_, _) => { }, alertRules: null);
        return control;
    }

    /// <summary>Saves <paramref name="yaml"/> as <paramref name="name"/> and waits for the watcher to say it applied the files, or why not.</summary>
    private async Task SaveAsync(string name, string yaml)
    {
        var said = _logs.Entries.Count(entry => entry.Message.StartsWith("Configuration files applied", StringComparison.Ordinal) || entry.Level == LogLevel.Error);
        // Written whole, then moved into place, as editors save: the watcher never reads a file half written.
        var written = File(name) + ".saving";
        await System.IO.File.WriteAllTextAsync(written, yaml);
        System.IO.File.Move(written, File(name), overwrite: true);
        await Eventually.TrueAsync(
            () => _logs.Entries.Count(entry => entry.Message.StartsWith("Configuration files applied", StringComparison.Ordinal) || entry.Level == LogLevel.Error) > said,
            Cap, $"the save of {name} was applied or refused");
    }

    private static string SubsetOfReviews(MeshControl control) =>
        control.Config.Services.Single(service => service.Name == "reviews").Http.Single().Route!.Single().Destination.Subset!;

    [Fact]
    public async Task ASavedFileSwapsTheRulesAndKeepsTheTopologyAsItStarted()
    {
        await System.IO.File.WriteAllTextAsync(File("reviews.yaml"), Reviews("v1"));
        var control = await StartAsync();
        var started = control.Config;
        Assert.Equal("v1", SubsetOfReviews(control));

        await SaveAsync("reviews.yaml", Reviews("v2"));

        Assert.Equal("v2", SubsetOfReviews(control));
        // The very listeners and workloads the run started with: nothing of the topology was compiled again.
        Assert.True(control.Config.Listeners == started.Listeners);
        Assert.True(control.Config.Workloads == started.Workloads);
        // What the topology says (a call that goes direct) was said at start, not again with each save.
        Assert.DoesNotContain(_logs.Entries, entry => entry.Message.Contains("direct, not through the mesh", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASavedFileThatBreaksARuleKeepsTheRulesInForceAndNamesTheFileAndField()
    {
        await System.IO.File.WriteAllTextAsync(File("reviews.yaml"), Reviews("v1"));
        var control = await StartAsync();

        await SaveAsync("reviews.yaml", Reviews("v2", timeout: "soon"));

        var error = Assert.Single(_logs.Entries, entry => entry.Level == LogLevel.Error).Message;
        Assert.Contains("the last good rules stay in force", error, StringComparison.Ordinal);
        Assert.Contains("reviews.yaml:", error, StringComparison.Ordinal);
        Assert.Equal("v1", SubsetOfReviews(control));
    }

    [Fact]
    public async Task ABrokersTriggerChangedInAFileIsSaidToApplyAtTheNextStartWhileTheRoutesApplyNow()
    {
        await System.IO.File.WriteAllTextAsync(File("reviews.yaml"), Reviews("v1"));
        await System.IO.File.WriteAllTextAsync(File("trigger.yaml"), Trigger("posted"));
        var control = await StartAsync();
        var triggers = control.Config.Brokers.Single().Triggers;

        await System.IO.File.WriteAllTextAsync(File("reviews.yaml"), Reviews("v2"));
        await SaveAsync("trigger.yaml", Trigger("deleted"));

        const string Said = "The files change the triggers or delivery of broker 'events'; that applies at the next start (routes, policies and traffic splits apply now).";
        Assert.Single(_logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Message == Said);
        Assert.Equal("posted", Assert.Single(control.Config.Brokers.Single().Triggers).Filter["type"]);
        Assert.True(control.Config.Brokers.Single().Triggers == triggers);
        Assert.Equal("v2", SubsetOfReviews(control));

        // A later save that leaves the trigger as it was saved does not say it again; one that puts it back, then changes it again, does.
        await SaveAsync("reviews.yaml", Reviews("v3"));
        Assert.Single(_logs.Entries, entry => entry.Message == Said);
        await SaveAsync("trigger.yaml", Trigger("posted"));
        await SaveAsync("trigger.yaml", Trigger("deleted"));
        Assert.Equal(2, _logs.Entries.Count(entry => entry.Message == Said));
    }

    [Fact]
    public async Task AnUpdateThatChangesTheListenersIsRefusedAndChangesNothing()
    {
        await System.IO.File.WriteAllTextAsync(File("reviews.yaml"), Reviews("v1"));
        var control = await StartAsync();
        var before = control.Config;

        var error = Assert.Throws<ArgumentException>(() => control.Update(config => config with { Listeners = config.Listeners.RemoveAt(0) }));

        Assert.Contains("start the app again", error.Message, StringComparison.Ordinal);
        Assert.Same(before, control.Config);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _watcher?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _folder.Delete(recursive: true);
    }
}
