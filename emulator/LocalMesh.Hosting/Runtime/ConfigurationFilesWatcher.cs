using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// Applies a saved configuration file while the app runs: the rules of the C# model and the files
/// are compiled again against the run's topology (its workloads, calls and listeners, which stay as
/// they are) and, when they are valid, swapped in as one new snapshot (as a runtime fault is). A
/// save that breaks a file keeps the last good rules in force and reports the errors — in the
/// console, on the mesh's log and on the mesh resource — until the next good save clears them.
/// </summary>
internal sealed class ConfigurationFilesWatcher : IDisposable
{
    /// <summary>Editors write a file in several steps; changes this close together are one save.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(250);

    private readonly MeshTopology _topology;
    private readonly MeshControl _control;
    private readonly ILogger _log;
    private readonly Action<IReadOnlyList<string>, IReadOnlyDictionary<string, string>?> _reloaded;
    private readonly Action<MeshAlertRules>? _alertRules;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _timer;
    private readonly Lock _reloading = new();

    /// <summary>What the files were last said to change at the next start: said again only when it changes.</summary>
    private string _saidForTheNextStart = "";

    /// <param name="topology">The run's topology; its mesh has the <see cref="ConfigurationFilesAnnotation"/>s.</param>
    /// <param name="control">Where the new rules go.</param>
    /// <param name="log">The mesh's log (console and dashboard).</param>
    /// <param name="reloaded">Told after each save: the errors now (none after a good save) and where each service's rules come from now (<c>null</c>: unchanged).</param>
    /// <param name="alertRules">Told the alert rules after each good save, for the local Prometheus.</param>
    public ConfigurationFilesWatcher(
        MeshTopology topology, MeshControl control, ILogger log,
        Action<IReadOnlyList<string>, IReadOnlyDictionary<string, string>?> reloaded, Action<MeshAlertRules>? alertRules)
    {
        (_topology, _control, _log, _reloaded, _alertRules) = (topology, control, log, reloaded, alertRules);
        _timer = new Timer(_ => Reload());
        foreach (var annotation in topology.Mesh.Annotations.OfType<ConfigurationFilesAnnotation>())
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

    /// <summary>Compiles the rules with the files as they are now and applies them, or keeps the last good rules.</summary>
    private void Reload()
    {
        lock (_reloading)
        {
            try
            {
                var compiled = MeshModelCompiler.CompileRules(_topology);
                var later = string.Join(" and ", _control.ApplyRules(compiled));
                if (later.Length > 0 && later != _saidForTheNextStart)
                {
                    _log.LogWarning("The files change {Changes}; that applies at the next start (routes, policies and traffic splits apply now).", later);
                }

                _saidForTheNextStart = later;

                foreach (var warning in compiled.Warnings)
                {
                    _log.LogWarning("{Warning}", warning);
                }

                _log.LogInformation("Configuration files applied: {Routes} routes in force.", compiled.Config.Services.Sum(service => service.Http.Length));
                _alertRules?.Invoke(compiled.AlertRules);
                _reloaded([], compiled.RuleSources);
            }
            catch (MeshModelException error)
            {
                IReadOnlyList<string> errors = [.. error.Errors.Select(e => e.ToString())];
                _log.LogError("The saved configuration files were not applied; the last good rules stay in force:{Errors}",
                    string.Concat(errors.Select(e => $"{Environment.NewLine}  - {e}")));
                _reloaded(errors, null);
            }
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _timer.Dispose();
    }
}
