using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// Applies a saved configuration file while the app runs: the model and its files are compiled
/// again and, when they are valid, the services' routes and policies are swapped in as one new
/// snapshot (as a runtime fault is). A save that breaks a file keeps the last good rules in force
/// and reports the errors — in the console, on the mesh's log and on the mesh resource — until the
/// next good save clears them.
/// </summary>
internal sealed class ConfigurationFilesWatcher : IDisposable
{
    /// <summary>Editors write a file in several steps; changes this close together are one save.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(250);

    private readonly DistributedApplicationModel _model;
    private readonly MeshResource _mesh;
    private readonly MeshControl _control;
    private readonly ILogger _log;
    private readonly Action<IReadOnlyList<string>, IReadOnlyDictionary<string, string>?> _reloaded;
    private readonly Action<MeshAlertRules>? _alertRules;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _timer;
    private readonly Lock _reloading = new();

    /// <param name="model">The app model.</param>
    /// <param name="mesh">The mesh, with its <see cref="MeshConfigurationFilesAnnotation"/>s.</param>
    /// <param name="control">Where the new rules go.</param>
    /// <param name="log">The mesh's log (console and dashboard).</param>
    /// <param name="reloaded">Told after each save: the errors now (none after a good save) and where each service's rules come from now (<c>null</c>: unchanged).</param>
    /// <param name="alertRules">Told the alert rules after each good save, for the local Prometheus.</param>
    public ConfigurationFilesWatcher(
        DistributedApplicationModel model, MeshResource mesh, MeshControl control, ILogger log,
        Action<IReadOnlyList<string>, IReadOnlyDictionary<string, string>?> reloaded, Action<MeshAlertRules>? alertRules)
    {
        (_model, _mesh, _control, _log, _reloaded, _alertRules) = (model, mesh, control, log, reloaded, alertRules);
        _timer = new Timer(_ => Reload());
        foreach (var annotation in mesh.Annotations.OfType<MeshConfigurationFilesAnnotation>())
        {
            var path = Path.GetFullPath(annotation.Path, annotation.BaseDirectory);
            var watcher = Directory.Exists(path)
                ? new FileSystemWatcher(path) { IncludeSubdirectories = true }
                : new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path));
            watcher.NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.DirectoryName;
            watcher.Changed += OnChanged;
            watcher.Created += OnChanged;
            watcher.Deleted += OnChanged;
            watcher.Renamed += OnChanged;
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    private void OnChanged(object sender, FileSystemEventArgs change)
    {
        if (change.FullPath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || change.FullPath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            || Directory.Exists(change.FullPath))
        {
            _timer.Change(Settle, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Compiles the model with the files as they are now and applies the result, or keeps the last good rules.</summary>
    private void Reload()
    {
        lock (_reloading)
        {
            try
            {
                var compiled = MeshModelCompiler.CompileAndCheck(_model, _mesh);
                // Only the rules change with a file; listeners, workloads and functions are the app model's.
                _control.Update(config => config.WithRulesOf(compiled.Config));
                _control.SourceOf = compiled.SourceOf;
                // A function's scaling and a broker's triggers shape processes and listeners, which start with the app.
                var running = _control.Config;
                if (Json(running.Workloads.Select(w => w.Scaling)) != Json(compiled.Config.Workloads.Select(w => w.Scaling)) || Json(running.Brokers) != Json(compiled.Config.Brokers))
                {
                    _log.LogWarning("The files change a function's scaling or a broker's triggers or delivery; those apply at the next start (routes, policies and traffic splits apply now).");
                }

                foreach (var warning in compiled.Warnings)
                {
                    _log.LogWarning("{Warning}", warning);
                }

                _log.LogInformation("Configuration files applied: {Routes} routes in force.", compiled.Config.Services.Sum(service => service.Http.Length));
                _alertRules?.Invoke(compiled.AlertRules);
                _reloaded([], compiled.RuleSources);
            }
            catch (Exception error) when (error is MeshModelException or MeshConfigException)
            {
                IReadOnlyList<string> errors = error is MeshModelException model ? [.. model.Errors.Select(e => e.ToString())] : [error.Message];
                _log.LogError("The saved configuration files were not applied; the last good rules stay in force:{Errors}",
                    string.Concat(errors.Select(e => $"{Environment.NewLine}  - {e}")));
                _reloaded(errors, null);
            }
        }
    }

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value);

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _timer.Dispose();
    }
}
