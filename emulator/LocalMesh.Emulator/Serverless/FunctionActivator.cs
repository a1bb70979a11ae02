using System.Collections.Concurrent;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Serverless;

/// <summary>
/// Knative's activator and autoscaler for every function revision in the mesh: the inbound side
/// of a function workload. Revisions come and go with the configuration.
/// </summary>
internal sealed class FunctionActivator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, RevisionScaler> _revisions = new(StringComparer.Ordinal);
    private readonly IFunctionLauncher? _launcher;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly MeshMetrics _metrics;
    private readonly Lock _sync = new();

    internal FunctionActivator(MeshState state, IFunctionLauncher? launcher, TimeProvider time, ILoggerFactory loggerFactory, MeshMetrics metrics)
    {
        _launcher = launcher;
        _metrics = metrics;
        _time = time;
        _loggerFactory = loggerFactory;
        Sync(state.Snapshot.Config);
        state.Changed += snapshot => Sync(snapshot.Config);
    }

    /// <summary>Raised when an instance starts, becomes ready or stops, or a decision changes.</summary>
    public event Action? Changed;

    /// <summary>Every revision's instances and demand now.</summary>
    public IReadOnlyList<RevisionStatus> Status => [.. _revisions.Values.Select(revision => revision.Status).OrderBy(status => status.Revision, StringComparer.Ordinal)];

    internal ValueTask<RevisionScaler.Lease> AcquireAsync(string revision, Action<string>? queued, CancellationToken cancellationToken) =>
        _revisions.TryGetValue(revision, out var scaler)
            ? scaler.AcquireAsync(queued, cancellationToken)
            : ValueTask.FromException<RevisionScaler.Lease>(new ActivationException(ActivationFailure.StartFailed, $"activator: {revision} is not a function revision."));

    private void Sync(MeshConfig config)
    {
        lock (_sync)
        {
            var revisions = config.Workloads.Where(workload => workload.Scaling is not null).ToDictionary(workload => workload.Name, StringComparer.Ordinal);
            if (revisions.Count > 0 && _launcher is null)
            {
                throw new InvalidOperationException(
                    $"The mesh has function revisions ({string.Join(", ", revisions.Keys)}) but no function launcher; set MeshServerOptions.FunctionLauncher.");
            }

            foreach (var (name, scaler) in _revisions.Where(pair => !revisions.ContainsKey(pair.Key)).ToList())
            {
                _revisions.TryRemove(name, out _);
                _ = scaler.DisposeAsync().AsTask();
            }

            foreach (var revision in revisions.Values.Where(revision => !_revisions.ContainsKey(revision.Name)))
            {
                _revisions[revision.Name] = new RevisionScaler(
                    revision, _launcher!, _time, _loggerFactory.CreateLogger(MeshLogCategories.Function(revision.Service ?? revision.Name)), _metrics, () => Changed?.Invoke());
            }
        }
    }

    /// <summary>Stops every instance.</summary>
    public async ValueTask DisposeAsync()
    {
        var revisions = _revisions.Values.ToList();
        _revisions.Clear();
        await Task.WhenAll(revisions.Select(revision => revision.DisposeAsync().AsTask()));
    }
}
