using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// Runs the mesh's watchers (readiness, crash restarts, alerts) once <see cref="MeshRuntime"/> has
/// started the mesh, until the app stops: a hosted service, so the host owns their lifetime and
/// waits for them as it stops (as Aspire's own <c>ResourceHealthCheckService</c>). A watcher that
/// fails says so on the mesh's log; the rest of the mesh keeps running.
/// </summary>
internal sealed class MeshWatchers(MeshRuntime runtime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IReadOnlyList<MeshWatcher> watchers;
        ILogger log;
        try
        {
            (watchers, log) = await runtime.Watchers.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // The mesh never started (publish mode, a model error) and the app stops.
            return;
        }

        await Task.WhenAll(watchers.Select(watcher => Task.Run(async () =>
        {
            try
            {
                await watcher.WatchAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // The app is stopping.
            }
            catch (Exception error)
            {
                log.LogError(error, "The mesh's {Watcher} stopped: {Reason}", watcher.Name, error.Message);
            }
        }, CancellationToken.None)));
    }
}

/// <summary>A watcher of the running mesh: what it is called on the log, and what it does until the app stops.</summary>
internal sealed record MeshWatcher(string Name, Func<CancellationToken, Task> WatchAsync);
