using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace LocalMesh.Emulator.Telemetry;

/// <summary>
/// The mesh's metrics in Prometheus' text format, as a cluster's Prometheus scrapes them from
/// Envoy: Istio's standard metrics under their own names (<c>istio_requests_total</c>,
/// <c>istio_request_duration_milliseconds</c>, <c>istio_request_bytes</c>, <c>istio_response_bytes</c>,
/// with Envoy's default buckets as Istio's are), and the Envoy counters
/// the mesh keeps under Envoy-style names (<c>envoy_upstream_rq_retry</c>, ...). Collected from the
/// mesh's own instruments by a <see cref="MeterListener"/>, so every series is cumulative from the
/// start, as Prometheus expects.
/// </summary>
internal sealed class PrometheusMetrics : IDisposable
{
    /// <summary>Envoy's default histogram buckets, which Istio's durations (milliseconds) and sizes (bytes) use.</summary>
    private static readonly double[] Buckets = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, ConcurrentDictionary<string, Series>> _series = new();

    /// <param name="metrics">The mesh whose instruments are scraped; another mesh's in the same process are not.</param>
    public PrometheusMetrics(MeshMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == metrics.Meter && instrument is Counter<long> or Histogram<double>)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Find(instrument, tags).Add(value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Find(instrument, tags).Observe(value));
        _listener.Start();
    }

    /// <summary>The name a series is exposed under: Istio's names as they are, the Envoy counters as <c>envoy_&lt;name&gt;</c>.</summary>
    public static string NameOf(Instrument instrument) => instrument.Name.StartsWith("istio_", StringComparison.Ordinal)
        ? instrument.Name
        : "envoy_" + instrument.Name.Replace('.', '_').Replace('-', '_');

    /// <summary>Every series, in Prometheus' text exposition format (version 0.0.4).</summary>
    public string Render()
    {
        var text = new StringBuilder();
        foreach (var (instrument, series) in _series.OrderBy(pair => NameOf(pair.Key), StringComparer.Ordinal))
        {
            var name = NameOf(instrument);
            var histogram = instrument is Histogram<double>;
            text.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description?.Replace('\n', ' ')).Append('\n');
            text.Append("# TYPE ").Append(name).Append(histogram ? " histogram\n" : " counter\n");
            foreach (var values in series.Values.OrderBy(values => values.Labels, StringComparer.Ordinal))
            {
                values.Write(text, name, histogram);
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The series of these tags. Each request records here, so the lookup key is only the tags as
    /// they come (the mesh records them in a fixed order); the label text is written once, when
    /// the series is new.
    /// </summary>
    private Series Find(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = _series.GetOrAdd(instrument, static _ => new());
        var tagsKey = KeyOf(tags);
        return series.TryGetValue(tagsKey, out var known)
            ? known
            : series.GetOrAdd(tagsKey, new Series(string.Join(",", tags.ToArray()
                .OrderBy(tag => tag.Key, StringComparer.Ordinal)
                .Select(tag => $"{tag.Key}=\"{Escape(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")}\""))));
    }

    /// <summary>
    /// The lookup key of <paramref name="tags"/>. A request records the same tags on each of its
    /// instruments in a row, on one thread: the key of the last tags seen on this thread is reused
    /// when every tag is the same object again, so the key is built once a request, not once a measurement.
    /// </summary>
    private static string KeyOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var last = _lastTags;
        if (last is not null && _lastKey is { } known && last.Length == tags.Length)
        {
            var same = true;
            for (var i = 0; i < tags.Length && same; i++)
            {
                same = ReferenceEquals(last[i].Key, tags[i].Key) && ReferenceEquals(last[i].Value, tags[i].Value);
            }

            if (same)
            {
                return known;
            }
        }

        var key = new StringBuilder();
        foreach (var tag in tags)
        {
            key.Append(tag.Key).Append('\u0001').Append(tag.Value).Append('\u0002');
        }

        _lastTags = tags.ToArray();
        return _lastKey = key.ToString();
    }

    [ThreadStatic]
    private static KeyValuePair<string, object?>[]? _lastTags;

    [ThreadStatic]
    private static string? _lastKey;

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public void Dispose() => _listener.Dispose();

    /// <summary>One series: a counter's total, or a histogram's buckets, sum and count.</summary>
    /// <param name="labels">Its labels as Prometheus writes them, sorted by name.</param>
    private sealed class Series(string labels)
    {
        private readonly Lock _lock = new();
        private readonly long[] _buckets = new long[Buckets.Length];
        private long _total;
        private double _sum;

        public string Labels { get; } = labels;

        public void Add(long value)
        {
            lock (_lock)
            {
                _total += value;
            }
        }

        public void Observe(double value)
        {
            lock (_lock)
            {
                _total++;
                _sum += value;
                for (var i = 0; i < Buckets.Length; i++)
                {
                    if (value <= Buckets[i])
                    {
                        _buckets[i]++;
                    }
                }
            }
        }

        public void Write(StringBuilder text, string name, bool histogram)
        {
            lock (_lock)
            {
                if (!histogram)
                {
                    text.Append(name).Append('{').Append(Labels).Append("} ").Append(_total.ToString(CultureInfo.InvariantCulture)).Append('\n');
                    return;
                }

                var separator = Labels.Length == 0 ? "" : ",";
                for (var i = 0; i < Buckets.Length; i++)
                {
                    text.Append(name).Append("_bucket{").Append(Labels).Append(separator).Append("le=\"")
                        .Append(Buckets[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(_buckets[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
                }

                text.Append(name).Append("_bucket{").Append(Labels).Append(separator).Append("le=\"+Inf\"} ").Append(_total.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(name).Append("_sum{").Append(Labels).Append("} ").Append(_sum.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(name).Append("_count{").Append(Labels).Append("} ").Append(_total.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }
    }
}
