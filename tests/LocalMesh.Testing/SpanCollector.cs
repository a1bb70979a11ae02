using System.Collections.Concurrent;
using System.Diagnostics;
using LocalMesh.Emulator.Telemetry;
using Xunit;

namespace LocalMesh.Testing;

/// <summary>
/// Collects the mesh's finished spans in this process (the mesh runs in the test's process, in the
/// AppHost or on its own) from its creation on, and waits for the ones a test expects.
/// </summary>
public sealed class SpanCollector : IDisposable
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly SemaphoreSlim _finished = new(0);
    private readonly ActivityListener _listener;

    public SpanCollector()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MeshTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span =>
            {
                _spans.Enqueue(span);
                _finished.Release();
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Every span finished so far.</summary>
    public IEnumerable<Activity> All => _spans;

    /// <summary>The request ID (<c>x-request-id</c>) a span carries, or null.</summary>
    public static string? RequestIdOf(Activity span) => span.GetTagItem(MeshTelemetry.Attributes.RequestId) as string;

    /// <summary>
    /// Every span of one request, once <paramref name="count"/> of them (those <paramref name="where"/>
    /// accepts, when given) have finished; fails when they have not within 10 s.
    /// </summary>
    public async Task<IReadOnlyList<Activity>> ForRequestAsync(string requestId, int count, Func<Activity, bool>? where = null)
    {
        var accepted = where ?? (_ => true);
        await WaitForAsync(span => RequestIdOf(span) == requestId && accepted(span), count, $"request {requestId}");
        return _spans.Where(span => RequestIdOf(span) == requestId).ToList();
    }

    /// <summary>The spans <paramref name="filter"/> accepts, once at least <paramref name="count"/> have finished; fails when they have not within 10 s.</summary>
    public async Task<IReadOnlyList<Activity>> WaitForAsync(Func<Activity, bool> filter, int count, string what = "spans")
    {
        using var timeout = new CancellationTokenSource(Cap);
        while (true)
        {
            var spans = _spans.Where(filter).ToList();
            if (spans.Count >= count)
            {
                return spans;
            }

            try
            {
                await _finished.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{what}: {spans.Count} of the {count} spans waited for finished within {Cap.TotalSeconds:0} s ({string.Join(", ", spans.Select(span => span.DisplayName))}).");
            }
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _finished.Dispose();
    }
}
