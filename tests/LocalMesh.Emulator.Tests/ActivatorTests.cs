using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Serverless;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// Knative Serving's activator and autoscaler (docs/semantics.md, Functions), rule by rule, on
/// a fake clock with instances that start when the test says.
/// </summary>
public sealed class ActivatorTests : IAsyncDisposable
{
    private static readonly TimeSpan Tick = FunctionScaling.TickInterval;
    private readonly FakeTimeProvider _time = new();
    private readonly ControlledLauncher _launcher = new();
    private RevisionScaler? _scaler;

    private RevisionScaler Start(FunctionScaling scaling) =>
        _scaler = new RevisionScaler(Functions.Revision(scaling), _launcher, _time, NullLogger.Instance, new MeshMetrics(), () => { });

    private void Advance(TimeSpan by)
    {
        // One tick at a time, as the autoscaler would see them.
        for (var left = by; left > TimeSpan.Zero; left -= Tick)
        {
            _time.Advance(left < Tick ? left : Tick);
        }
    }

    [Fact]
    public async Task AtZeroARequestWaitsWhileOneInstanceStartsThenGoesToIt()
    {
        var scaler = Start(new FunctionScaling { InitialScale = 0 });
        // Every launch is an instance of the scaler's first, decided synchronously: none means none was launched.
        Assert.Equal(0, scaler.Status.Instances);

        var request = scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask();
        var start = await _launcher.NextStartAsync();
        Assert.False(request.IsCompleted);
        Assert.Equal(1, scaler.Status.Queued);
        Assert.Equal("Starting", scaler.Status.State);

        var instance = start.Ready();
        using var lease = await request.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(instance.Address, lease.Address);
        Assert.Equal("cold-start", lease.Activation);
        Assert.Equal("Running", scaler.Status.State);
    }

    [Fact]
    public async Task RequestsArrivingDuringTheColdStartAreBufferedAndAllServedByTheOneInstance()
    {
        var scaler = Start(new FunctionScaling { InitialScale = 0 });
        var requests = Enumerable.Range(0, 5).Select(_ => scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask()).ToList();
        var start = await _launcher.NextStartAsync();
        Assert.Equal(5, scaler.Status.Queued);
        Assert.Equal(1, scaler.Status.Instances); // five requests fit one instance's target of 70

        var instance = start.Ready();
        var leases = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.All(leases, lease => Assert.Equal(instance.Address, lease.Address));
        Assert.Equal(5, scaler.Status.InFlight);
        foreach (var lease in leases)
        {
            lease.Dispose();
        }
    }

    [Fact]
    public async Task AFullQueueAnswersAtOnceWithQueueFull()
    {
        var scaler = Start(new FunctionScaling { InitialScale = 0, MaxQueuedRequests = 2 });
        _ = scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask();
        _ = scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask();

        var third = await Assert.ThrowsAsync<ActivationException>(() => scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask());
        Assert.Equal(ActivationFailure.QueueFull, third.Failure);
        Assert.Contains("queue holds 2", third.Message);
    }

    [Fact]
    public async Task ARequestIsToldItWaitsForAColdStartBeforeItWaitsSoACallerThatGivesUpStillSaysWhy()
    {
        var scaler = Start(new FunctionScaling { InitialScale = 0, ContainerConcurrency = 1, MaxScale = 1 });
        using var caller = new CancellationTokenSource();
        string? first = null, second = null;
        var woke = scaler.AcquireAsync(activation => first = activation, caller.Token).AsTask();
        var behind = scaler.AcquireAsync(activation => second = activation, CancellationToken.None).AsTask();
        var start = await _launcher.NextStartAsync();

        // Told before the instance is ready; the caller of the first then goes away (its timeout).
        Assert.Equal(("cold-start", "queued"), (first, second));
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => woke.WaitAsync(TimeSpan.FromSeconds(5)));

        start.Ready();
        using (var lease = await behind.WaitAsync(TimeSpan.FromSeconds(5)))
        {
            Assert.Equal("queued", lease.Activation);
        }

        // A free instance: nothing to wait for, nothing told.
        string? warm = null;
        using var again = await scaler.AcquireAsync(activation => warm = activation, CancellationToken.None);
        Assert.Equal(("warm", null), (again.Activation, warm));
    }

    [Fact]
    public async Task AStartThatTakesLongerThanTheActivationTimeoutAnswersTimeout()
    {
        var scaler = Start(new FunctionScaling { InitialScale = 0, ActivationTimeout = TimeSpan.FromSeconds(10) });
        var request = scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask();
        await _launcher.NextStartAsync();

        _time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(request.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(0.1));

        var failure = await Assert.ThrowsAsync<ActivationException>(() => request.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(ActivationFailure.Timeout, failure.Failure);
        Assert.Contains("within 10s", failure.Message);
        Assert.Equal(0, scaler.Status.Queued);
    }

    [Fact]
    public async Task AFailedStartAnswersTheWaitingRequestsWithItsReasonAndTheNextRequestTriesAgain()
    {
        var scaler = Start(new FunctionScaling { InitialScale = 0 });
        var request = scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask();
        (await _launcher.NextStartAsync()).Fail("the process exited with code 1 before it listened.");

        var failure = await Assert.ThrowsAsync<ActivationException>(() => request.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(ActivationFailure.StartFailed, failure.Failure);
        Assert.Contains("exited with code 1", failure.Message);

        var retry = scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask();
        (await _launcher.NextStartAsync()).Ready();
        using var lease = await retry.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ContainerConcurrencyIsAHardLimitPerInstance()
    {
        var scaler = Start(new FunctionScaling { ContainerConcurrency = 1, MaxScale = 1 });
        (await _launcher.NextStartAsync()).Ready();
        await Eventually.TrueAsync(() => scaler.Status.Ready == 1, TimeSpan.FromSeconds(5));

        var first = await scaler.AcquireAsync(queued: null, CancellationToken.None);
        var second = scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);
        Assert.Equal(1, scaler.Status.InFlight);
        Assert.Equal(1, scaler.Status.Queued);

        first.Dispose();
        using var lease = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, scaler.Status.InFlight);
    }

    [Fact]
    public async Task DemandAboveTheTargetScalesOutUpToMaxScale()
    {
        // containerConcurrency 1 sizes each instance for 0.7 requests: three in flight need five instances, max-scale allows three.
        var scaler = Start(new FunctionScaling { ContainerConcurrency = 1, MaxScale = 3 });
        (await _launcher.NextStartAsync()).Ready();
        await Eventually.TrueAsync(() => scaler.Status.Ready == 1, TimeSpan.FromSeconds(5));
        var requests = Enumerable.Range(0, 3).Select(_ => scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask()).ToList();

        Advance(Tick);
        var second = await _launcher.NextStartAsync();
        var third = await _launcher.NextStartAsync();
        Assert.Equal(3, scaler.Status.Desired);
        Assert.True(scaler.Status.Panicking);
        second.Ready();
        third.Ready();

        var leases = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(3, leases.Select(lease => lease.Address).Distinct().Count());
        Assert.Equal(3, scaler.Status.Instances);
    }

    [Fact]
    public async Task TheLastInstanceStopsOnceTheRevisionHasBeenIdleForTheStableWindow()
    {
        var scaler = Start(new FunctionScaling { InitialScale = 0, Window = TimeSpan.FromSeconds(6) });
        var request = scaler.AcquireAsync(queued: null, CancellationToken.None).AsTask();
        (await _launcher.NextStartAsync()).Ready();
        (await request.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();

        Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(1, scaler.Status.Instances);
        Assert.Empty(_launcher.Stopped);

        Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, scaler.Status.Instances);
        Assert.Equal("Idle", scaler.Status.State);
        Assert.Equal(["fn-00001-1"], _launcher.Stopped);
    }

    [Fact]
    public async Task InitialScaleStartsInstancesWithTheRevisionAndTheyScaleToZeroWithoutTraffic()
    {
        var scaler = Start(new FunctionScaling { Window = TimeSpan.FromSeconds(6) });
        (await _launcher.NextStartAsync()).Ready();
        await Eventually.TrueAsync(() => scaler.Status.Ready == 1, TimeSpan.FromSeconds(5));

        Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(0, scaler.Status.Instances);
    }

    [Fact]
    public async Task ScaleToZeroPodRetentionPeriodKeepsTheLastInstanceLonger()
    {
        var scaler = Start(new FunctionScaling { Window = TimeSpan.FromSeconds(6), ScaleToZeroPodRetentionPeriod = TimeSpan.FromSeconds(20) });
        (await _launcher.NextStartAsync()).Ready();

        Advance(TimeSpan.FromSeconds(18));
        Assert.Equal(1, scaler.Status.Instances);
        Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, scaler.Status.Instances);
    }

    [Fact]
    public async Task MinScaleKeepsInstancesWithoutTraffic()
    {
        var scaler = Start(new FunctionScaling { MinScale = 1, Window = TimeSpan.FromSeconds(6) });
        (await _launcher.NextStartAsync()).Ready();

        Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, scaler.Status.Instances);
        Assert.Empty(_launcher.Stopped);
    }

    [Fact]
    public async Task ScaleDownWaitsForTheScaleDownDelayAndDrainsBusyInstancesFirst()
    {
        var scaler = Start(new FunctionScaling
        {
            InitialScale = 3, ContainerConcurrency = 1, Window = TimeSpan.FromSeconds(6), ScaleDownDelay = TimeSpan.FromSeconds(10),
        });
        for (var i = 0; i < 3; i++)
        {
            (await _launcher.NextStartAsync()).Ready();
        }

        await Eventually.TrueAsync(() => scaler.Status.Ready == 3, TimeSpan.FromSeconds(5));
        var busy = await scaler.AcquireAsync(queued: null, CancellationToken.None);

        // One request in flight needs two instances (1 / 0.7); without the delay the third would stop at the first tick.
        Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(3, scaler.Status.Instances);
        Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(2, scaler.Status.Instances);
        Assert.DoesNotContain(busy.Address.Port - 10000, _launcher.Stopped.Select(name => int.Parse(name[^1..], System.Globalization.CultureInfo.InvariantCulture)));
        busy.Dispose();
    }

    [Fact]
    public async Task ADrainingInstanceFinishesItsRequestBeforeItStops()
    {
        var scaler = Start(new FunctionScaling { Window = TimeSpan.FromSeconds(6), ActivationTimeout = TimeSpan.FromMinutes(5) });
        (await _launcher.NextStartAsync()).Ready();
        await Eventually.TrueAsync(() => scaler.Status.Ready == 1, TimeSpan.FromSeconds(5));
        var lease = await scaler.AcquireAsync(queued: null, CancellationToken.None);

        Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, scaler.Status.Instances); // a request in flight keeps it
        lease.Dispose();
        Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(0, scaler.Status.Instances);
    }

    [Fact]
    public async Task ACancelledRequestLeavesTheQueue()
    {
        var scaler = Start(new FunctionScaling { InitialScale = 0 });
        using var cancel = new CancellationTokenSource();
        var request = scaler.AcquireAsync(queued: null, cancel.Token).AsTask();
        await _launcher.NextStartAsync();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, scaler.Status.Queued);
    }

    [Fact]
    public void TargetPerInstanceFollowsKnativeDefaults()
    {
        Assert.Equal(70, new FunctionScaling().TargetPerInstance, 6);
        Assert.Equal(7, new FunctionScaling { ContainerConcurrency = 10 }.TargetPerInstance, 6);
        Assert.Equal(3.5, new FunctionScaling { ContainerConcurrency = 10, Target = 5 }.TargetPerInstance, 6);
        Assert.Equal(10, new FunctionScaling { ContainerConcurrency = 10, Target = 50, TargetUtilizationPercentage = 100 }.TargetPerInstance, 6);
        Assert.Equal(TimeSpan.FromSeconds(6), new FunctionScaling().PanicWindow);
    }

    public async ValueTask DisposeAsync()
    {
        if (_scaler is not null)
        {
            await _scaler.DisposeAsync();
        }
    }
}
