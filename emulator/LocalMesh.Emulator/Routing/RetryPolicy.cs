using System.Collections.Frozen;
using System.Globalization;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Grpc;
using LocalMesh.Emulator.Randomness;

namespace LocalMesh.Emulator.Routing;

/// <summary>Why an upstream try failed without an HTTP response.</summary>
internal enum TryFailure
{
    /// <summary>The try got a response (which may still be retriable by its status).</summary>
    None,

    /// <summary>No connection could be made.</summary>
    ConnectFailure,

    /// <summary>The connection was reset or closed before a full response.</summary>
    Reset,

    /// <summary>The per-try timeout expired.</summary>
    PerTryTimeout,

    /// <summary>An HTTP/2 upstream refused the stream (<c>REFUSED_STREAM</c>): it did not process the request.</summary>
    RefusedStream,

    /// <summary>
    /// The caller's request was broken (a malformed or truncated body, one over the listener's
    /// limit): its fault, so never retried and never held against the upstream.
    /// </summary>
    Downstream,
}

/// <summary>
/// A compiled <see cref="HttpRetry"/>: how many retries and which outcomes are retried, with
/// Envoy's meaning of each <c>retryOn</c> condition.
/// </summary>
internal sealed class RetryPolicy
{
    public static readonly RetryPolicy Default = new(2, null, HttpRetry.DefaultRetryOn + ",503");
    public static readonly RetryPolicy None = new(0, null, "");

    private readonly FrozenSet<string> _conditions;
    private readonly FrozenSet<int> _statusCodes;
    private readonly FrozenSet<int> _grpcStatuses;

    public RetryPolicy(int attempts, TimeSpan? perTryTimeout, string retryOn)
    {
        Attempts = attempts;
        RetryOn = retryOn;
        PerTryTimeout = perTryTimeout;
        var parts = retryOn.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // Istio turns bare status codes into retriable-status-codes.
        _statusCodes = parts.Where(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(part => int.Parse(part, CultureInfo.InvariantCulture)).ToFrozenSet();
        _conditions = parts.Where(part => !int.TryParse(part, out _)).ToFrozenSet(StringComparer.Ordinal);
        if (_statusCodes.Count > 0)
        {
            _conditions = _conditions.Append("retriable-status-codes").ToFrozenSet(StringComparer.Ordinal);
        }

        _grpcStatuses = _conditions.Where(GrpcCommon.RetryOnStatuses.ContainsKey).Select(condition => GrpcCommon.RetryOnStatuses[condition]).ToFrozenSet();
    }

    /// <summary>Retries allowed after the first try.</summary>
    public int Attempts { get; }

    /// <summary>The conditions retried on, as Istio's <c>retryOn</c> writes them.</summary>
    public string RetryOn { get; }

    /// <summary>The timeout of each try, if any.</summary>
    public TimeSpan? PerTryTimeout { get; }

    /// <summary>Istio's meaning of a route's <c>retries</c>: null is the default policy, 0 attempts none.</summary>
    public static RetryPolicy For(HttpRoute route)
    {
        if (route.Fault is not null)
        {
            // Istio gives a route with a fault no retries.
            return None;
        }

        return route.Retries switch
        {
            null => Default,
            { Attempts: 0 } => None,
            // An explicit policy without retryOn gets Istio's default conditions.
            var retries => new RetryPolicy(retries.Attempts, retries.PerTryTimeout, retries.RetryOn ?? HttpRetry.DefaultRetryOn + ",503"),
        };
    }

    /// <summary>Whether a try that ended this way may be retried.</summary>
    /// <param name="status">The response status, when there was a response.</param>
    /// <param name="grpcStatus">The response's <c>grpc-status</c>, when present.</param>
    /// <param name="failure">How the try failed without a response.</param>
    public bool IsRetriable(int? status, int? grpcStatus, TryFailure failure)
    {
        switch (failure)
        {
            case TryFailure.ConnectFailure:
                return Has("connect-failure") || Has("5xx") || Has("gateway-error") || Has("reset");
            case TryFailure.RefusedStream:
                return Has("refused-stream") || Has("reset") || Has("5xx");
            case TryFailure.Reset:
            case TryFailure.PerTryTimeout:
                return Has("reset") || Has("5xx") || Has("gateway-error");
        }

        if (status is not { } code)
        {
            return false;
        }

        return (Has("5xx") && code >= 500)
            || (Has("gateway-error") && code is 502 or 503 or 504)
            || (Has("retriable-4xx") && code == 409)
            || (Has("retriable-status-codes") && _statusCodes.Contains(code))
            || (grpcStatus is { } grpc && _grpcStatuses.Contains(grpc));
    }

    private bool Has(string condition) => _conditions.Contains(condition);
}

/// <summary>
/// Envoy's jittered exponential back-off between retries: the bound starts at 25 ms and doubles
/// up to 250 ms; each wait is uniformly random below the bound.
/// </summary>
internal static class RetryBackoff
{
    public static readonly TimeSpan BaseInterval = TimeSpan.FromMilliseconds(25);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The wait before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    public static TimeSpan Next(int retry, IMeshRandom random)
    {
        var bound = BaseInterval.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 16));
        bound = Math.Min(bound, MaxInterval.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(random.NextDouble() * bound);
    }
}
