using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Serverless;

/// <summary>Where a function instance is in its life.</summary>
internal enum InstanceState
{
    /// <summary>Launched, not ready yet: requests wait in the activator.</summary>
    Starting,

    /// <summary>Taking requests.</summary>
    Ready,

    /// <summary>Scaled down: finishing its requests, taking no new ones.</summary>
    Draining,
}

/// <summary>One revision's instances and demand, as the dashboard shows them.</summary>
/// <param name="Revision">The revision (function workload) name.</param>
/// <param name="Service">The function it belongs to.</param>
/// <param name="Starting">Instances starting.</param>
/// <param name="Ready">Instances taking requests.</param>
/// <param name="Draining">Instances finishing their requests before they stop.</param>
/// <param name="Desired">The autoscaler's latest decision.</param>
/// <param name="InFlight">Requests inside instances.</param>
/// <param name="Queued">Requests waiting in the activator.</param>
/// <param name="Panicking">Whether the autoscaler is in panic mode.</param>
internal sealed record RevisionStatus(string Revision, string? Service, int Starting, int Ready, int Draining, int Desired, int InFlight, int Queued, bool Panicking)
{
    /// <summary>Every instance that exists.</summary>
    public int Instances => Starting + Ready + Draining;

    /// <summary><c>Idle</c> at zero, <c>Starting</c> until one is ready, then <c>Running</c>.</summary>
    public string State => Instances == 0 ? "Idle" : Ready == 0 ? "Starting" : "Running";
}

/// <summary>Why the activator answered 503 instead of forwarding.</summary>
internal enum ActivationFailure
{
    /// <summary>The activator's queue was full.</summary>
    QueueFull,

    /// <summary>No instance could take the request within the activation timeout.</summary>
    Timeout,

    /// <summary>The instance started for the request failed to start.</summary>
    StartFailed,
}

/// <summary>The activator could not place a request; the message is the 503's body.</summary>
internal sealed class ActivationException(ActivationFailure failure, string message) : Exception(message)
{
    /// <summary>Why.</summary>
    public ActivationFailure Failure { get; } = failure;
}

/// <summary>
/// One revision behind the activator, Knative's KPA in small: requests take a free slot of a
/// ready instance (at most <c>containerConcurrency</c> each) or wait in a bounded queue; a
/// request at zero instances starts one at once (cold start); every tick the autoscaler sizes
/// the revision from the averaged concurrency (stable and panic windows, scale rates,
/// scale-down delay, min/max scale) and the last instance stops once the revision has been idle
/// for the stable window.
/// </summary>
internal sealed class RevisionScaler : IAsyncDisposable
{
    private readonly WorkloadConfig _revision;
    private readonly FunctionScaling _scaling;
    private readonly IFunctionLauncher _launcher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MeshMetrics _metrics;
    private readonly Action _changed;
    private readonly Lock _lock = new();
    private readonly List<Instance> _instances = [];
    private readonly LinkedList<Waiter> _queue = new();
    private readonly ConcurrencyWindow _window;
    private readonly Queue<(DateTimeOffset At, int Desired)> _recommendations = new();
    private readonly ITimer _tick;
    private DateTimeOffset _lastActivity;
    private DateTimeOffset? _panicSince;
    private int _maxPanicInstances;
    private int _desired;
    private bool _disposed;

    /// <summary>The instances being started: the revision's disposal waits for them, so none outlives the mesh.</summary>
    private readonly List<Task> _launches = [];

    public RevisionScaler(WorkloadConfig revision, IFunctionLauncher launcher, TimeProvider time, ILogger logger, MeshMetrics metrics, Action changed)
    {
        _metrics = metrics;
        _revision = revision;
        _scaling = revision.Scaling ?? throw new ArgumentException("Not a function revision.", nameof(revision));
        _launcher = launcher;
        _time = time;
        _logger = logger;
        _changed = changed;
        var now = time.GetUtcNow();
        _lastActivity = now;
        _window = new ConcurrencyWindow(now, _scaling.StableWindow + (_scaling.ScaleDownDelay ?? TimeSpan.Zero) + FunctionScaling.TickInterval);
        lock (_lock)
        {
            ScaleTo(Math.Max(_scaling.InitialScale, _scaling.MinScale), "initial-scale");
        }

        _tick = time.CreateTimer(static state => ((RevisionScaler)state!).Tick(), this, FunctionScaling.TickInterval, FunctionScaling.TickInterval);
    }

    public RevisionStatus Status
    {
        get
        {
            lock (_lock)
            {
                return new RevisionStatus(
                    _revision.Name,
                    _revision.Service,
                    _instances.Count(i => i.State == InstanceState.Starting),
                    _instances.Count(i => i.State == InstanceState.Ready),
                    _instances.Count(i => i.State == InstanceState.Draining),
                    _desired,
                    _instances.Sum(i => i.InFlight),
                    _queue.Count,
                    _panicSince is not null);
            }
        }
    }

    /// <summary>
    /// A slot on a ready instance: at once when one is free, otherwise after waiting in the
    /// queue (starting an instance if none exists). Dispose the lease when the response is done.
    /// </summary>
    /// <param name="queued">
    /// Told how the request waits (<c>cold-start</c>, <c>queued</c>) when it has to, before it
    /// waits: a request whose caller goes away while an instance starts still says it waited for one.
    /// </param>
    /// <param name="cancellationToken">The caller went away.</param>
    /// <exception cref="ActivationException">The queue is full, the wait timed out or the start failed.</exception>
    public async ValueTask<Lease> AcquireAsync(Action<string>? queued, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            _lastActivity = now;
            if (TakeFree() is { } free)
            {
                free.InFlight++;
                UpdateConcurrency(now);
                return new Lease(this, free, "warm");
            }

            if (_queue.Count >= _scaling.MaxQueuedRequests)
            {
                _metrics.ActivatorRejected.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.DestinationWorkload, _revision.Name));
                throw new ActivationException(ActivationFailure.QueueFull,
                    $"activator: {_queue.Count} requests are already waiting for {_revision.Name} (the queue holds {_scaling.MaxQueuedRequests}).");
            }

            waiter = new Waiter(this, ActiveCount == 0);
            waiter.Node = _queue.AddLast(waiter);
            UpdateConcurrency(now);
            if (waiter.ColdStart)
            {
                // The activator pokes the autoscaler at once rather than waiting for its next tick.
                var needed = (int)Math.Ceiling(_queue.Count / _scaling.TargetPerInstance);
                ScaleTo(Clamp(Math.Max(1, needed)), "a request arrived at zero instances (cold start)");
            }
        }

        _changed();
        queued?.Invoke(Activation(waiter));
        using var timeout = _time.CreateTimer(
            static state => ((Waiter)state!).Owner.Fail((Waiter)state, ActivationFailure.Timeout),
            waiter, _scaling.ActivationTimeout, Timeout.InfiniteTimeSpan);
        using var cancellation = cancellationToken.Register(static state => ((Waiter)state!).Owner.Fail((Waiter)state, null), waiter);
        return await waiter.Task;
    }

    private void Fail(Waiter waiter, ActivationFailure? failure)
    {
        lock (_lock)
        {
            if (waiter.Task.IsCompleted)
            {
                return;
            }

            _queue.Remove(waiter.Node!);
            UpdateConcurrency(_time.GetUtcNow());
            if (failure is null)
            {
                waiter.TrySetCanceled();
            }
            else
            {
                _metrics.ActivatorRejected.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.DestinationWorkload, _revision.Name));
                waiter.TrySetException(new ActivationException(failure.Value,
                    $"activator: no instance of {_revision.Name} could take the request within {MeshDuration.Format(_scaling.ActivationTimeout)}."));
            }
        }
    }

    private void Release(Instance instance)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            instance.InFlight--;
            _lastActivity = now;
            if (instance.State == InstanceState.Draining && instance.InFlight == 0)
            {
                Stop(instance, "drained");
            }

            Dispatch();
            UpdateConcurrency(now);
        }
    }

    /// <summary>Hands free slots to waiting requests, oldest first.</summary>
    private void Dispatch()
    {
        while (_queue.First is { } node)
        {
            if (TakeFree() is not { } instance)
            {
                return;
            }

            _queue.RemoveFirst();
            instance.InFlight++;
            node.Value.TrySetResult(new Lease(this, instance, Activation(node.Value)));
        }
    }

    /// <summary>The ready instance with the fewest requests that is below <c>containerConcurrency</c>.</summary>
    private Instance? TakeFree()
    {
        Instance? best = null;
        foreach (var instance in _instances)
        {
            if (instance.State == InstanceState.Ready
                && (_scaling.ContainerConcurrency == 0 || instance.InFlight < _scaling.ContainerConcurrency)
                && (best is null || instance.InFlight < best.InFlight))
            {
                best = instance;
            }
        }

        return best;
    }

    private int ActiveCount => _instances.Count(i => i.State is InstanceState.Starting or InstanceState.Ready);

    private void UpdateConcurrency(DateTimeOffset now) => _window.Set(now, _instances.Sum(i => i.InFlight) + _queue.Count);

    private int Clamp(int desired) => Math.Max(_scaling.MinScale, _scaling.MaxScale > 0 ? Math.Min(desired, _scaling.MaxScale) : desired);

    /// <summary>One autoscaler decision, every <see cref="FunctionScaling.TickInterval"/>.</summary>
    private void Tick()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetUtcNow();
            _window.Close(now);
            var target = _scaling.TargetPerInstance;
            var ready = _instances.Count(i => i.State == InstanceState.Ready);
            var stable = (int)Math.Ceiling(_window.Average(now, _scaling.StableWindow) / target);
            var panic = (int)Math.Ceiling(_window.Average(now, _scaling.PanicWindow) / target);

            // Knative bounds each decision by the ready instances: up at most 1000×, down at most by half.
            var upLimit = (int)Math.Ceiling(FunctionScaling.MaxScaleUpRate * Math.Max(1, ready));
            var downLimit = (int)Math.Floor(ready / FunctionScaling.MaxScaleDownRate);
            stable = Math.Clamp(stable, Math.Min(downLimit, upLimit), upLimit);
            panic = Math.Clamp(panic, Math.Min(downLimit, upLimit), upLimit);

            string reason;
            int desired;
            if (panic / (double)Math.Max(1, ready) >= FunctionScaling.DefaultPanicThresholdPercentage / 100 && panic > ready)
            {
                if (_panicSince is null)
                {
                    _logger.LogInformation("{Revision}: panic mode: demand over the panic window needs {Panic} instances, {Ready} are ready.", _revision.Name, panic, ready);
                }

                _panicSince = now;
            }
            else if (_panicSince is { } since && now - since >= _scaling.StableWindow)
            {
                _logger.LogInformation("{Revision}: panic mode over.", _revision.Name);
                _panicSince = null;
                _maxPanicInstances = 0;
            }

            if (_panicSince is not null)
            {
                // In panic the revision never shrinks.
                _maxPanicInstances = Math.Max(_maxPanicInstances, panic);
                desired = _maxPanicInstances;
                reason = "panic: demand over the panic window";
            }
            else
            {
                desired = stable;
                reason = "demand over the stable window";
            }

            if (_scaling.ScaleDownDelay is { } delay && delay > TimeSpan.Zero)
            {
                // A lower decision takes effect only once it has held for the whole delay.
                _recommendations.Enqueue((now, desired));
                while (now - _recommendations.Peek().At >= delay)
                {
                    _recommendations.Dequeue();
                }

                desired = Math.Max(desired, _recommendations.Max(r => r.Desired));
            }

            if (_queue.Count > 0 || _instances.Any(i => i.InFlight > 0))
            {
                desired = Math.Max(desired, 1);
            }
            else if (desired == 0 && (now - _lastActivity < _scaling.StableWindow || now - _lastActivity < (_scaling.ScaleToZeroPodRetentionPeriod ?? TimeSpan.Zero)))
            {
                // The last instance stays until the revision has been idle for the stable window (and the retention period).
                desired = Math.Min(1, ActiveCount);
            }
            else if (desired == 0)
            {
                reason = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"idle for {(now - _lastActivity).TotalSeconds:0.#}s (window {MeshDuration.Format(_scaling.StableWindow)}): scale to zero");
            }

            ScaleTo(Clamp(desired), reason);
        }
    }

    /// <summary>Starts or drains instances until <paramref name="desired"/> are starting or ready. Holds the lock.</summary>
    private void ScaleTo(int desired, string reason)
    {
        var active = _instances.Where(i => i.State is InstanceState.Starting or InstanceState.Ready).ToList();
        var changed = desired != _desired;
        _desired = desired;
        if (desired == active.Count)
        {
            if (changed)
            {
                _ = Task.Run(_changed);
            }

            return;
        }

        var direction = desired > active.Count ? "up" : "down";
        _logger.LogInformation("{Revision}: scale {Direction} from {Current} to {Desired} instances: {Reason}.", _revision.Name, direction, active.Count, desired, reason);
        _metrics.ScaleDecisions.Add(1,
            new KeyValuePair<string, object?>(MeshTelemetry.Attributes.DestinationWorkload, _revision.Name),
            new KeyValuePair<string, object?>("direction", direction));

        if (desired > active.Count)
        {
            if (_scaling.ScaleDownDelay > TimeSpan.Zero)
            {
                // A scale-up counts as a decision the delay holds on to, like the autoscaler's own.
                _recommendations.Enqueue((_time.GetUtcNow(), desired));
            }

            for (var added = active.Count; added < desired; added++)
            {
                // The lowest number no instance holds, as a StatefulSet's ordinals: a revision's instances stay 1..n in logs and the dashboard.
                var number = Enumerable.Range(1, int.MaxValue).First(candidate => _instances.All(i => i.Number != candidate));
                var instance = new Instance(new FunctionInstanceRequest(_revision, number), _time.GetTimestamp(), coldStart: active.Count == 0);
                _instances.Add(instance);
                _launches.RemoveAll(launch => launch.IsCompleted);
                _launches.Add(Task.Run(() => LaunchAsync(instance)));
            }
        }
        else
        {
            // Starting instances go first, then the least busy.
            foreach (var instance in active
                .OrderBy(i => i.State == InstanceState.Ready ? 1 : 0)
                .ThenBy(i => i.InFlight)
                .ThenByDescending(i => i.Number)
                .Take(active.Count - desired))
            {
                instance.State = InstanceState.Draining;
                if (instance.InFlight == 0)
                {
                    Stop(instance, reason);
                }
            }
        }

        _ = Task.Run(_changed);
    }

    private async Task LaunchAsync(Instance instance)
    {
        var request = instance.Request;
        try
        {
            var started = await _launcher.StartAsync(request, instance.Stopping.Token);
            bool wanted;
            lock (_lock)
            {
                // Not when it was scaled down (or the mesh stopped) while it started.
                wanted = instance.State == InstanceState.Starting && !_disposed;
                if (wanted)
                {
                    instance.Process = started;
                    instance.Name = started.Name;
                    instance.State = InstanceState.Ready;
                    Dispatch();
                }
                else
                {
                    _instances.Remove(instance);
                }
            }

            if (!wanted)
            {
                await started.DisposeAsync();
                return;
            }

            var elapsed = _time.GetElapsedTime(instance.LaunchedAt);
            _metrics.InstanceStartDuration.Record(elapsed.TotalMilliseconds,
                new KeyValuePair<string, object?>(MeshTelemetry.Attributes.DestinationWorkload, _revision.Name),
                new KeyValuePair<string, object?>("cold_start", instance.ColdStart));
            _logger.LogInformation("{Instance}: ready at {Address} after {Elapsed:0} ms.", started.Name, started.Address, elapsed.TotalMilliseconds);
            _ = started.Exited.ContinueWith(_ => OnExited(instance, started.Name), TaskScheduler.Default);
        }
        catch (Exception error) when (error is FunctionStartException or OperationCanceledException)
        {
            lock (_lock)
            {
                _instances.Remove(instance);
                if (error is FunctionStartException && ActiveCount == 0)
                {
                    // Nothing else will come for the waiting requests: they get the reason now, the next request tries again.
                    while (_queue.First is { } node)
                    {
                        _queue.RemoveFirst();
                        node.Value.TrySetException(new ActivationException(ActivationFailure.StartFailed, $"activator: {request.Name} failed to start: {error.Message}"));
                    }

                    _desired = 0;
                    UpdateConcurrency(_time.GetUtcNow());
                }
            }

            if (error is FunctionStartException)
            {
                _logger.LogError("{Instance}: failed to start: {Reason}", request.Name, error.Message);
            }
        }

        _changed();
    }

    private void OnExited(Instance instance, string name)
    {
        lock (_lock)
        {
            if (!_instances.Remove(instance))
            {
                return;
            }

            _logger.LogWarning("{Instance}: exited unexpectedly; the autoscaler replaces it when demand needs it.", name);
            _desired = Math.Min(_desired, ActiveCount);
        }

        _changed();
    }

    /// <summary>Removes an instance and stops its process. Holds the lock.</summary>
    private void Stop(Instance instance, string reason)
    {
        _instances.Remove(instance);
        _logger.LogInformation("{Instance}: stopping ({Reason}).", instance.Name, reason);
        if (instance.Process is { } process)
        {
            _ = process.DisposeAsync().AsTask();
        }
        else
        {
            instance.Stopping.Cancel();
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<IFunctionInstance> processes;
        List<Task> launches;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _tick.Dispose();
            while (_queue.First is { } node)
            {
                _queue.RemoveFirst();
                node.Value.TrySetException(new ActivationException(ActivationFailure.StartFailed, "activator: the mesh is stopping."));
            }

            foreach (var instance in _instances)
            {
                instance.Stopping.Cancel();
            }

            processes = [.. _instances.Select(i => i.Process).OfType<IFunctionInstance>()];
            _instances.Clear();
            launches = [.. _launches];
        }

        await Task.WhenAll(processes.Select(process => process.DisposeAsync().AsTask()));
        // The instances being started stop too: their launches see the cancellation (or the disposal) and stop what they started.
        await Task.WhenAll(launches).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>A request's place on an instance; disposing it frees the place.</summary>
    internal sealed class Lease(RevisionScaler owner, Instance instance, string activation) : IDisposable
    {
        private int _disposed;

        /// <summary>The instance's address.</summary>
        public Uri Address => instance.Process!.Address;

        /// <summary>The instance's name, e.g. <c>sentiment-00001-1</c>.</summary>
        public string Instance => instance.Name;

        /// <summary>How the request got its place: <c>warm</c> at once, <c>queued</c> after waiting, <c>cold-start</c> after waiting for an instance started from zero.</summary>
        public string Activation => activation;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(instance);
            }
        }
    }

    internal sealed class Instance(FunctionInstanceRequest request, long launchedAt, bool coldStart)
    {
        public FunctionInstanceRequest Request { get; } = request;

        public int Number => Request.Number;

        /// <summary>The request's name until it has started, then the name the launcher gave it.</summary>
        public string Name { get; set; } = request.Name;

        public long LaunchedAt { get; } = launchedAt;

        public bool ColdStart { get; } = coldStart;

        public InstanceState State { get; set; } = InstanceState.Starting;

        public IFunctionInstance? Process { get; set; }

        public int InFlight { get; set; }

        public CancellationTokenSource Stopping { get; } = new();
    }

    /// <summary>How a waiting request is served, for its span: it woke the revision from zero, or waited behind busy instances.</summary>
    private static string Activation(Waiter waiter) => waiter.ColdStart ? "cold-start" : "queued";

    private sealed class Waiter(RevisionScaler owner, bool coldStart) : TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public RevisionScaler Owner { get; } = owner;

        public bool ColdStart { get; } = coldStart;

        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
