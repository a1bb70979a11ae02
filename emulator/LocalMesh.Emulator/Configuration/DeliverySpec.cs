namespace LocalMesh.Emulator.Configuration;

/// <summary>Knative's <c>delivery</c>: retries, back-off and the dead-letter sink.</summary>
public sealed record DeliverySpec
{
    /// <summary>The broker default (<c>config-br-defaults</c>): 10 retries.</summary>
    public const int DefaultRetry = 10;

    /// <summary>The broker default back-off delay, <c>PT0.2S</c>.</summary>
    public static readonly TimeSpan DefaultBackoffDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Knative's default when no delivery is set anywhere: exponential back-off from 0.2 s, 10 retries, no sink.</summary>
    public static readonly DeliverySpec BrokerDefault = new() { Retry = DefaultRetry, BackoffPolicy = Configuration.BackoffPolicy.Exponential, BackoffDelay = DefaultBackoffDelay };

    /// <summary><c>retry</c>: retries after the first attempt.</summary>
    public int? Retry { get; init; }

    /// <summary><c>backoffPolicy</c>; <c>null</c> is exponential.</summary>
    public BackoffPolicy? BackoffPolicy { get; init; }

    /// <summary><c>backoffDelay</c> (ISO 8601 in YAML, e.g. <c>PT0.2S</c>).</summary>
    public TimeSpan? BackoffDelay { get; init; }

    /// <summary><c>timeout</c>: how long one attempt may take; <c>null</c> is no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary><c>deadLetterSink</c>: the mesh service that gets events whose delivery failed; <c>null</c> drops them.</summary>
    public string? DeadLetterSink { get; init; }

    /// <summary>The wait before retry number <paramref name="retry"/> (from 1).</summary>
    internal TimeSpan Backoff(int retry)
    {
        var delay = BackoffDelay ?? DefaultBackoffDelay;
        return BackoffPolicy == Configuration.BackoffPolicy.Linear
            ? delay * retry
            : delay * Math.Pow(2, retry);
    }
}
