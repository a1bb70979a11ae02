namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>ConsistentHashLB</c>: one hash key, a ring of endpoints.</summary>
public sealed record ConsistentHash
{
    /// <summary>Envoy's default minimum ring size.</summary>
    public const int DefaultMinimumRingSize = 1024;

    /// <summary>Hash this request header.</summary>
    public string? HttpHeaderName { get; init; }

    /// <summary>Hash this cookie (generated when absent and a TTL is set).</summary>
    public HttpCookie? HttpCookie { get; init; }

    /// <summary>Hash the caller's IP address.</summary>
    public bool UseSourceIp { get; init; }

    /// <summary>Hash this query parameter.</summary>
    public string? HttpQueryParameterName { get; init; }

    /// <summary>The ring's minimum number of entries.</summary>
    public int? MinimumRingSize { get; init; }
}
