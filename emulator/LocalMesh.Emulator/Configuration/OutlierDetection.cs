namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// Istio's <c>OutlierDetection</c>: an endpoint that returns too many errors in a row is
/// ejected from load balancing for a while, longer each time.
/// </summary>
public sealed record OutlierDetection
{
    /// <summary>Istio's defaults (DestinationRule reference).</summary>
    public const int DefaultConsecutive5xxErrors = 5;

    /// <summary>Istio's default share of a cluster that may be ejected at once, in percent.</summary>
    public const int DefaultMaxEjectionPercent = 10;

    /// <summary>Istio's default sweep interval.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    /// <summary>Istio's default base ejection time.</summary>
    public static readonly TimeSpan DefaultBaseEjectionTime = TimeSpan.FromSeconds(30);

    /// <summary>5xx answers in a row (including connection failures) that eject an endpoint; 0 disables (default 5).</summary>
    public int? Consecutive5xxErrors { get; init; }

    /// <summary>502, 503 or 504 answers in a row that eject an endpoint; off by default.</summary>
    public int? ConsecutiveGatewayErrors { get; init; }

    /// <summary>How often ejections are decided and ended (default 10 s).</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>The first ejection's length; the n-th lasts n times as long (default 30 s).</summary>
    public TimeSpan? BaseEjectionTime { get; init; }

    /// <summary>At most this share of the endpoints is ejected at once, in percent (default 10).</summary>
    public int? MaxEjectionPercent { get; init; }

    /// <summary>Below this share of healthy endpoints, ejection is switched off, in percent (default 0).</summary>
    public int? MinHealthPercent { get; init; }
}
