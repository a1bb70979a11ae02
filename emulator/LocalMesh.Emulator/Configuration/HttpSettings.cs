namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>ConnectionPoolSettings.HTTPSettings</c>.</summary>
public sealed record HttpSettings
{
    /// <summary>Requests waiting for a connection to one upstream host (default 2³²−1).</summary>
    public int? Http1MaxPendingRequests { get; init; }

    /// <summary>Requests in flight to one upstream host (default 2³²−1).</summary>
    public int? Http2MaxRequests { get; init; }

    /// <summary>Requests per connection; 1 disables keep-alive (default unlimited).</summary>
    public int? MaxRequestsPerConnection { get; init; }

    /// <summary>Retries outstanding at once to the destination (default 2³²−1).</summary>
    public int? MaxRetries { get; init; }

    /// <summary>How long an unused connection stays open (default 1 h).</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Istio's default idle timeout for upstream connections (DestinationRule reference, <c>http.idleTimeout</c>).</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(1);
}
