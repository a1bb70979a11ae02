using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace LocalMesh.Testing;

/// <summary>A fake clock that tells when a timer is set, so a test advances it only once the timer exists.</summary>
public sealed class ObservedTime : FakeTimeProvider
{
    /// <summary>The due time of every timer set, in order.</summary>
    public Channel<TimeSpan> TimersCreated { get; } = Channel.CreateUnbounded<TimeSpan>();

    /// <summary>Waits until a timer due after <paramref name="dueTime"/> is set (other timers, e.g. connect timeouts, are skipped).</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime, CancellationToken cancellationToken)
    {
        while (await TimersCreated.Reader.ReadAsync(cancellationToken) != dueTime)
        {
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        TimersCreated.Writer.TryWrite(dueTime);
        return timer;
    }
}
