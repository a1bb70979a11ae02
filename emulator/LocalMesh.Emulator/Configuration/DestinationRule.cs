namespace LocalMesh.Emulator.Configuration;

// The traffic policies of Istio's DestinationRule (networking.istio.io/v1), as immutable
// records with Istio's names. A null property means Istio's default.

/// <summary>Istio's <c>DestinationRule</c> for one service: its policy and its subsets.</summary>
public sealed record DestinationRule
{
    /// <summary>Its name, as a file gives it; <c>null</c> names it after its service.</summary>
    public string? Name { get; init; }

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

    /// <summary>
    /// The Gateway API backend this subset stands for (bookinfo's Service <c>reviews-v1</c>), or
    /// null. Such a Service is a host of its own in a cluster, so traffic routed to it gets its own
    /// DestinationRule's policy (<see cref="TrafficPolicy"/>) only, not the service's.
    /// </summary>
    public string? VersionService { get; init; }
}

/// <summary>Istio's <c>TrafficPolicy</c>.</summary>
public sealed record TrafficPolicy
{
    /// <summary>
    /// How an endpoint is chosen; <c>null</c> is the mesh's default, Istio's LEAST_REQUEST unless the
    /// model chooses another (<see cref="MeshConfig.DefaultLoadBalancer"/>).
    /// </summary>
    public LoadBalancerSettings? LoadBalancer { get; init; }

    /// <summary>Limits on connections and requests to each upstream host (circuit breaking).</summary>
    public ConnectionPoolSettings? ConnectionPool { get; init; }

    /// <summary>Ejection of endpoints that keep failing.</summary>
    public OutlierDetection? OutlierDetection { get; init; }

    /// <summary>The TLS the sidecar originates (to a host outside the mesh); <c>null</c> leaves it to the mesh (mutual TLS between sidecars).</summary>
    public ClientTlsSettings? Tls { get; init; }

    /// <summary>Settings for single ports of the destination, over these.</summary>
    public IReadOnlyList<PortTrafficPolicy>? PortLevelSettings { get; init; }

    /// <summary>This policy on <paramref name="port"/>: the port's own settings where it has them.</summary>
    internal TrafficPolicy ForPort(int port) => PortLevelSettings?.FirstOrDefault(settings => settings.Port == port) is { } own
        ? this with
        {
            LoadBalancer = own.LoadBalancer ?? LoadBalancer,
            ConnectionPool = own.ConnectionPool ?? ConnectionPool,
            OutlierDetection = own.OutlierDetection ?? OutlierDetection,
            Tls = own.Tls ?? Tls,
            PortLevelSettings = null,
        }
        : this;
}

/// <summary>Istio's <c>ConnectionPoolSettings</c>: limits per upstream host; past them a request gets 503 with flag UO.</summary>
public sealed record ConnectionPoolSettings
{
    /// <summary>TCP-level limits.</summary>
    public TcpSettings? Tcp { get; init; }

    /// <summary>HTTP-level limits.</summary>
    public HttpSettings? Http { get; init; }
}

/// <summary>Istio's <c>ConnectionPoolSettings.TCPSettings</c>.</summary>
public sealed record TcpSettings
{
    /// <summary>Istio's and Envoy's default connect timeout.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Connections to one upstream host (default 2³²−1).</summary>
    public int? MaxConnections { get; init; }

    /// <summary>How long a connection may take to establish (default 10 s).</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>
    /// How long a TCP connection may pass no byte either way before both ends are closed (default
    /// 1 h; zero disables it). Istio's <c>connectionPool.tcp.idleTimeout</c>, Envoy's TCP proxy <c>idle_timeout</c>.
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Istio's default idle timeout for TCP connections.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(1);
}

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

/// <summary>Istio's spelling of the load balancers, as a DestinationRule writes them.</summary>
internal static class SimpleLoadBalancerNames
{
    /// <summary>E.g. <c>ROUND_ROBIN</c>, <c>LEAST_REQUEST</c>.</summary>
    public static string ToIstioName(this SimpleLoadBalancer balancer) => balancer switch
    {
        SimpleLoadBalancer.RoundRobin => "ROUND_ROBIN",
        SimpleLoadBalancer.LeastRequest => "LEAST_REQUEST",
        SimpleLoadBalancer.Random => "RANDOM",
        SimpleLoadBalancer.Passthrough => "PASSTHROUGH",
        _ => throw new ArgumentOutOfRangeException(nameof(balancer), balancer, null),
    };
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
