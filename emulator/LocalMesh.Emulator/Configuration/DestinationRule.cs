namespace LocalMesh.Emulator.Configuration;

// The traffic policies of Istio's DestinationRule (networking.istio.io/v1), as immutable
// records with Istio's names. A null property means Istio's default.

/// <summary>Istio's <c>DestinationRule</c> for one service: its policy and its subsets.</summary>
public sealed record DestinationRule
{
    /// <summary>The policy for all of the service's traffic.</summary>
    public TrafficPolicy? TrafficPolicy { get; init; }

    /// <summary>Named groups of the service's endpoints, selected by labels.</summary>
    public IReadOnlyList<Subset>? Subsets { get; init; }
}

/// <summary>A named group of a service's endpoints.</summary>
/// <param name="Name">The subset's name, e.g. <c>v1</c>.</param>
/// <param name="Labels">Labels an endpoint's workload must have.</param>
public sealed record Subset(string Name, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>Overrides the rule's policy for traffic routed to this subset.</summary>
    public TrafficPolicy? TrafficPolicy { get; init; }
}

/// <summary>Istio's <c>TrafficPolicy</c>.</summary>
public sealed record TrafficPolicy
{
    /// <summary>
    /// How an endpoint is chosen. LocalMesh's default is ROUND_ROBIN, which makes local runs
    /// repeatable; Istio (since 1.14) defaults to LEAST_REQUEST, so export writes the policy
    /// explicitly.
    /// </summary>
    public LoadBalancerSettings? LoadBalancer { get; init; }
}

/// <summary>Istio's simple load balancers.</summary>
public enum SimpleLoadBalancer
{
    /// <summary>Each endpoint in turn.</summary>
    RoundRobin,

    /// <summary>The fewer active requests of two random endpoints (Istio's LEAST_CONN is the deprecated name).</summary>
    LeastRequest,

    /// <summary>A random endpoint.</summary>
    Random,

    /// <summary>The address the caller connected to; there is none locally, so round robin is used (reported at start).</summary>
    Passthrough,
}

/// <summary>Istio's <c>LoadBalancerSettings</c>: a simple policy or a consistent hash, not both.</summary>
public sealed record LoadBalancerSettings
{
    /// <summary>A simple policy.</summary>
    public SimpleLoadBalancer? Simple { get; init; }

    /// <summary>Session affinity by a hash of the request.</summary>
    public ConsistentHash? ConsistentHash { get; init; }
}

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

/// <summary>The cookie a consistent hash keys on.</summary>
/// <param name="Name">The cookie's name.</param>
/// <param name="Path">The path set on a generated cookie.</param>
/// <param name="Ttl">The lifetime of a generated cookie; without one, none is generated.</param>
public sealed record HttpCookie(string Name, string? Path = null, TimeSpan? Ttl = null);
