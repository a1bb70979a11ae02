using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// A cluster restarts a crashed pod; so does the mesh, for its workloads' replicas: one that exits
/// while running (not stopped from the dashboard, which goes through <c>Stopping</c>, and not at
/// the AppHost's shutdown) is started again after Kubernetes' back-off — 10 s, doubling each time,
/// at most 5 min, back to 10 s after 10 min of running — and shows <c>CrashLoopBackOff</c> with its
/// restart count meanwhile. <c>WithoutRestarts()</c> keeps a resource down when it exits.
/// </summary>
internal sealed class CrashRestarts(
    ResourceNotificationService notifications, ResourceCommandService commands, CompiledMesh mesh, TimeProvider time, ILogger logger)
{
    /// <summary>Kubernetes' first back-off after a crash.</summary>
    public static readonly TimeSpan DefaultInitialBackoff = TimeSpan.FromSeconds(10);

    /// <summary>Kubernetes' longest back-off.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    /// <summary>Running this long without a crash resets the back-off, as Kubernetes does.</summary>
    public static readonly TimeSpan ResetAfter = TimeSpan.FromMinutes(10);

    /// <summary>The first back-off; tests shorten it (configuration <c>LocalMesh:RestartBackoff</c>).</summary>
    public TimeSpan InitialBackoff { get; init; } = DefaultInitialBackoff;

    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        var restartable = mesh.Workloads.Select(w => w.Resource)
            .Where(resource => !resource.Annotations.OfType<MeshRestartsDisabledAnnotation>().Any())
            .Select(resource => resource.Name)
            .ToHashSet(StringComparer.Ordinal);
        var states = new Dictionary<string, string?>(StringComparer.Ordinal);
        var replicas = new Dictionary<string, Replica>(StringComparer.Ordinal);
        try
        {
            await foreach (var update in notifications.WatchAsync(cancellationToken))
            {
                if (!restartable.Contains(update.Resource.Name))
                {
                    continue;
                }

                var state = update.Snapshot.State?.Text;
                var previous = states.GetValueOrDefault(update.ResourceId);
                states[update.ResourceId] = state;
                var replica = replicas.TryGetValue(update.ResourceId, out var known) ? known : replicas[update.ResourceId] = new Replica();
                if (state == KnownResourceStates.Running && previous != KnownResourceStates.Running)
                {
                    replica.RunningSince = time.GetUtcNow();
                }

                if (previous == KnownResourceStates.Running && (state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart))
                {
                    _ = RestartAsync(update.Resource, update.ResourceId, replica, update.Snapshot.ExitCode, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RestartAsync(IResource resource, string resourceId, Replica replica, int? exitCode, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() - replica.RunningSince >= ResetAfter)
        {
            replica.Restarts = 0;
        }

        var backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, InitialBackoff.Ticks << Math.Min(replica.Restarts, 20)));
        replica.Restarts++;
        logger.LogWarning("{Replica} exited while running (exit code {ExitCode}); as a Deployment would, it starts again in {Backoff} (restart {Restarts}). WithoutRestarts() keeps it down.",
            resourceId, exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown", MeshDuration.Format(backoff), replica.Restarts);
        try
        {
            await notifications.PublishUpdateAsync(resource, resourceId, state => state with
            {
                State = new ResourceStateSnapshot("CrashLoopBackOff", KnownResourceStateStyles.Warn),
                Properties = state.Properties.SetResourcePropertyRange(
                [
                    new ResourcePropertySnapshot("mesh.restarts", $"{replica.Restarts} (last exit code {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}, back-off {MeshDuration.Format(backoff)})")
                    {
                        DisplayName = "Restarts (crash loop back-off)", IsHighlighted = true,
                    },
                ]),
            });
            await Task.Delay(backoff, time, cancellationToken);
            var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, cancellationToken);
            if (!result.Success)
            {
                logger.LogWarning("{Replica} could not be started again: {Error}", resourceId, result.Message);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The AppHost is stopping: nothing to restart.
        }
    }

    private sealed class Replica
    {
        public int Restarts { get; set; }

        public DateTimeOffset RunningSince { get; set; }
    }
}
