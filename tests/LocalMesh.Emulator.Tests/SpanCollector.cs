using System.Collections.Concurrent;
using System.Diagnostics;
using LocalMesh.Emulator.Telemetry;

namespace LocalMesh.Emulator.Tests;

/// <summary>Collects the mesh's finished spans in this process.</summary>
internal sealed class SpanCollector : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly SemaphoreSlim _finished = new(0);

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

    /// <summary>
    /// The spans of one request, by its x-request-id, once <paramref name="count"/> of them (those
    /// <paramref name="where"/> accepts, when given) have finished; fails when they have not within 10 s.
    /// </summary>
    public async Task<IReadOnlyList<Activity>> ForRequestAsync(string requestId, int count, Func<Activity, bool>? where = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var spans = _spans.Where(span => span.GetTagItem(MeshTelemetry.Attributes.RequestId) as string == requestId).ToList();
            if (spans.Count(where ?? (_ => true)) >= count)
            {
                return spans;
            }

            try
            {
                await _finished.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Request {requestId}: {spans.Count(where ?? (_ => true))} of the {count} spans waited for finished within 10 s ({string.Join(", ", spans.Select(span => span.DisplayName))}).");
            }
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _finished.Dispose();
    }
}
