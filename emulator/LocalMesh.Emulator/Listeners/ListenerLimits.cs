using System.Collections.Concurrent;
using System.Collections.Immutable;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Listeners;

/// <summary>
/// Envoy's shape of limits for every listener: a cap on open connections (Envoy's
/// <c>max_connections</c>; a connection over it is closed at once and counted as
/// <c>downstream_cx_overflow</c>, never left hanging), and overload said when it starts and when it
/// ends. A listener recovers by itself: once connections close, new ones are served again.
/// </summary>
internal sealed class ListenerLimits(ILogger logger, MeshMetrics metrics)
{
    /// <summary>
    /// Open connections per listener. Envoy leaves it unbounded and relies on the overload manager;
    /// on a laptop one flooded listener must not take the process's file descriptors from the rest.
    /// </summary>
    public const int DefaultMaxConnections = 1024;

    private readonly ConcurrentDictionary<string, Counter> _open = new(StringComparer.Ordinal);
    private ImmutableHashSet<string> _overloaded = ImmutableHashSet<string>.Empty;

    /// <summary>The most connections a listener holds open.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>The listeners refusing connections now.</summary>
    public IReadOnlySet<string> Overloaded => _overloaded;

    /// <summary>Raised when a listener starts refusing connections, and when it serves again.</summary>
    public event Action? OverloadChanged;

    /// <summary>Connections open on <paramref name="listener"/>.</summary>
    public int OpenConnections(string listener) => _open.TryGetValue(listener, out var open) ? Volatile.Read(ref open.Value) : 0;

    /// <summary>Connections <paramref name="listener"/> has taken since it started, refused ones included (Envoy's <c>downstream_cx_total</c>).</summary>
    public long TotalConnections(string listener) => _open.TryGetValue(listener, out var open) ? Interlocked.Read(ref open.Total) : 0;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next, string listener)
    {
        var open = _open.GetOrAdd(listener, static _ => new Counter());
        Interlocked.Increment(ref open.Total);
        if (Interlocked.Increment(ref open.Value) > MaxConnections)
        {
            Interlocked.Decrement(ref open.Value);
            metrics.ConnectionOverflows.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.Listener, listener));
            if (ImmutableInterlocked.Update(ref _overloaded, static (set, name) => set.Add(name), listener))
            {
                logger.LogWarning("Listener {Listener} is overloaded: {Max} connections are open, so new ones are closed at once (downstream_cx_overflow) until some close.", listener, MaxConnections);
                OverloadChanged?.Invoke();
            }

            connection.Abort(new ConnectionAbortedException($"{listener}: over {MaxConnections} connections"));
            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            // Serving again once there is room for a new connection.
            if (Interlocked.Decrement(ref open.Value) < MaxConnections && _overloaded.Contains(listener)
                && ImmutableInterlocked.Update(ref _overloaded, static (set, name) => set.Remove(name), listener))
            {
                logger.LogInformation("Listener {Listener} serves new connections again.", listener);
                OverloadChanged?.Invoke();
            }
        }
    }

    private sealed class Counter
    {
        public int Value;
        public long Total;
    }
}
