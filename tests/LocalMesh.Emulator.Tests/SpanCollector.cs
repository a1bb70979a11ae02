using System.Collections.Concurrent;
using System.Diagnostics;
using LocalMesh.Emulator.Telemetry;

namespace LocalMesh.Emulator.Tests;

/// <summary>Collects the mesh's finished spans in this process.</summary>
internal sealed class SpanCollector : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _spans = new();

    public SpanCollector()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MeshTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The spans of one request, by its x-request-id, once <paramref name="count"/> have finished (at most 5 s).</summary>
    public async Task<IReadOnlyList<Activity>> ForRequestAsync(string requestId, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var spans = _spans.Where(span => span.GetTagItem(MeshTelemetry.Attributes.RequestId) as string == requestId).ToList();
            if (spans.Count >= count || DateTime.UtcNow > deadline)
            {
                return spans;
            }

            await Task.Delay(10);
        }
    }

    public void Dispose() => _listener.Dispose();
}
