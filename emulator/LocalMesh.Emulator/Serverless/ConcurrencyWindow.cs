namespace LocalMesh.Emulator.Serverless;

/// <summary>
/// The autoscaler's metric: a revision's concurrency (requests in flight or waiting in the
/// activator) averaged over time, one bucket per tick, as Knative's queue-proxy and activator
/// report it.
/// </summary>
internal sealed class ConcurrencyWindow(DateTimeOffset start, TimeSpan keep)
{
    private readonly Queue<(DateTimeOffset End, double Average)> _buckets = new();
    private DateTimeOffset _bucketStart = start;
    private DateTimeOffset _since = start;
    private double _area;
    private int _current;

    /// <summary>The concurrency now.</summary>
    public int Current => _current;

    /// <summary>Records that the concurrency is <paramref name="value"/> from <paramref name="now"/> on.</summary>
    public void Set(DateTimeOffset now, int value)
    {
        _area += _current * (now - _since).TotalSeconds;
        _since = now;
        _current = value;
    }

    /// <summary>Closes the current bucket at <paramref name="now"/>.</summary>
    public void Close(DateTimeOffset now)
    {
        Set(now, _current);
        var length = (now - _bucketStart).TotalSeconds;
        _buckets.Enqueue((now, length > 0 ? _area / length : _current));
        _bucketStart = now;
        _area = 0;
        while (_buckets.Count > 0 && now - _buckets.Peek().End >= keep)
        {
            _buckets.Dequeue();
        }
    }

    /// <summary>The average concurrency over the buckets that ended within <paramref name="window"/> of <paramref name="now"/>.</summary>
    public double Average(DateTimeOffset now, TimeSpan window)
    {
        var recent = _buckets.Where(bucket => now - bucket.End < window).ToList();
        return recent.Count == 0 ? _current : recent.Average(bucket => bucket.Average);
    }
}
