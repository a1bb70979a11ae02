using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace LocalMesh.Testing;

/// <summary>
/// A fake clock that tells when a timer is set, so a test advances it only once the timer exists,
/// and which timers still wait, so a test proves that something waits by its timer, not by sleeping.
/// </summary>
public sealed class ObservedTime : FakeTimeProvider
{
    private readonly ConcurrentDictionary<object, TimeSpan> _waiting = new();

    /// <summary>The due time of every timer set, in order.</summary>
    public Channel<TimeSpan> TimersCreated { get; } = Channel.CreateUnbounded<TimeSpan>();

    /// <summary>Waits until a timer due after <paramref name="dueTime"/> is set (other timers, e.g. connect timeouts, are skipped).</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime, CancellationToken cancellationToken)
    {
        while (await TimersCreated.Reader.ReadAsync(cancellationToken) != dueTime)
        {
        }
    }

    /// <summary>Whether a one-shot timer set due after <paramref name="dueTime"/> has neither fired nor been disposed.</summary>
    public bool IsWaiting(TimeSpan dueTime) => _waiting.Values.Contains(dueTime);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var key = new object();
        if (period == Timeout.InfiniteTimeSpan)
        {
            _waiting[key] = dueTime;
        }

        var timer = base.CreateTimer(fired =>
        {
            _waiting.TryRemove(key, out _);
            callback(fired);
        }, state, dueTime, period);
        TimersCreated.Writer.TryWrite(dueTime);
        return new Observed(timer, () => _waiting.TryRemove(key, out _));
    }

    private sealed class Observed(ITimer timer, Action ended) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => timer.Change(dueTime, period);

        public void Dispose()
        {
            ended();
            timer.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            ended();
            return timer.DisposeAsync();
        }
    }
}
