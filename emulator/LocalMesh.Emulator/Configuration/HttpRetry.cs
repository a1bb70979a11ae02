using System.Collections.Frozen;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>HTTPRetry</c>.</summary>
public sealed record HttpRetry
{
    /// <summary>Istio's <c>retryOn</c> when a route sets no retries (with 503 as a retriable status code).</summary>
    public const string DefaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

    /// <summary>The conditions Envoy and Istio know; anything else in <see cref="RetryOn"/> is an error.</summary>
    internal static readonly FrozenSet<string> KnownConditions = FrozenSet.ToFrozenSet(
    [
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx",
        "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
        // gRPC conditions, checked against the response's grpc-status.
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ]);

    /// <summary>Retries allowed (at most 1 + attempts tries); 0 disables retries.</summary>
    public int Attempts { get; init; }

    /// <summary>Timeout per try; defaults to the route's timeout.</summary>
    public TimeSpan? PerTryTimeout { get; init; }

    /// <summary>Comma-separated conditions, e.g. <c>5xx,connect-failure</c> or bare status codes such as <c>503</c>.</summary>
    public string? RetryOn { get; init; }

    /// <summary>Retry in other localities (accepted; there is one locality locally).</summary>
    public bool? RetryRemoteLocalities { get; init; }
}
