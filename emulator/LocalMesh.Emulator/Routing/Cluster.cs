using System.Collections.Immutable;
using System.IO.Hashing;
using System.Text;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Routing;

/// <summary>
/// Envoy's cluster: a service, or one subset of it, with its ready endpoints and the traffic
/// policy that applies to them (the subset's policy over the rule's).
/// </summary>
internal sealed class Cluster
{
    private static readonly LoadBalancerSettings DefaultLoadBalancer = new() { Simple = MeshConfig.IstioDefaultLoadBalancer };

    public Cluster(string host, int port, Subset? subset, ImmutableArray<UpstreamEndpoint> endpoints, LoadBalancerSettings loadBalancer, ServiceProtocol protocol = ServiceProtocol.Http)
        : this(host, port, subset, endpoints, new TrafficPolicy { LoadBalancer = loadBalancer }, protocol)
    {
    }

    /// <param name="host">The service.</param>
    /// <param name="port">The service port.</param>
    /// <param name="subset">The subset, or null for the whole service.</param>
    /// <param name="endpoints">The ready endpoints (of the subset).</param>
    /// <param name="policy">The effective policy: the subset's settings where it has them, else the rule's.</param>
    /// <param name="protocol">What the service port carries, and so how the sidecar speaks to the endpoints.</param>
    public Cluster(string host, int port, Subset? subset, ImmutableArray<UpstreamEndpoint> endpoints, TrafficPolicy policy, ServiceProtocol protocol = ServiceProtocol.Http)
    {
        Protocol = protocol;
        Port = port;
        var loadBalancer = policy.LoadBalancer ?? DefaultLoadBalancer;
        ConnectionPool = policy.ConnectionPool;
        OutlierDetection = policy.OutlierDetection;
        Tls = policy.Tls is { Mode: ClientTlsMode.Simple } tls ? tls : null;
        Host = host;
        Subset = subset?.Name;
        // Envoy's naming, as it appears in Istio's telemetry.
        Name = host == PassthroughName ? host : $"outbound|{port}|{Subset}|{host}";
        Endpoints = endpoints;
        LoadBalancer = loadBalancer;
        Ring = loadBalancer.ConsistentHash is { } hash && !endpoints.IsEmpty
            ? new HashRing(endpoints, hash.MinimumRingSize ?? ConsistentHash.DefaultMinimumRingSize)
            : null;
    }

    public string Name { get; }

    /// <summary>
    /// False for the cluster a route names but the mesh does not have (a host that is no service of
    /// the app, as another team's service in a team's folder): Istio accepts the route (IST0101) and
    /// its requests are answered 503, flag NC.
    /// </summary>
    public bool Exists { get; private init; } = true;

    /// <summary>
    /// Whether the endpoint is the address the caller asked for rather than one of the cluster's
    /// (Envoy's <c>ORIGINAL_DST</c>: the <c>PassthroughCluster</c>, and a ServiceEntry with
    /// resolution <c>NONE</c>); see <see cref="ToOriginalDestination"/>.
    /// </summary>
    public bool IsOriginalDestination { get; private init; }

    /// <summary>The cluster of a destination the mesh has no service (or subset) for.</summary>
    public static Cluster NotFound(string host, string? subset) =>
        new(host, 0, subset is null ? null : new Subset(subset, new Dictionary<string, string>()), [], new TrafficPolicy()) { Exists = false };

    public string Host { get; }

    /// <summary>Envoy's cluster for a host outside the mesh that no ServiceEntry has, when the mesh lets such calls pass.</summary>
    public static Cluster Passthrough(int port) =>
        new(PassthroughName, port, null, [], new TrafficPolicy()) { IsOriginalDestination = true };

    /// <summary>The name Istio's telemetry gives calls to hosts outside its registry that it lets pass.</summary>
    public const string PassthroughName = "PassthroughCluster";

    /// <summary>The name Istio's telemetry gives calls to hosts outside its registry that it refuses.</summary>
    public const string BlackHoleName = "BlackHoleCluster";

    /// <summary>A cluster of a ServiceEntry with resolution <c>NONE</c>: each call goes where the caller asked.</summary>
    public static Cluster OriginalDestination(string host, int port, TrafficPolicy policy) =>
        new(host, port, null, [], policy) { IsOriginalDestination = true };

    /// <summary>This original-destination cluster for one call: its one endpoint is <paramref name="host"/>:<paramref name="port"/>, as the caller named it.</summary>
    public Cluster ToOriginalDestination(string host, int port) =>
        new(Host, Port, Subset is null ? null : new Subset(Subset, new Dictionary<string, string>()),
            [UpstreamEndpoint.External(host, 0, ImmutableDictionary<string, string>.Empty, new Uri($"{(Tls is null ? "http" : "https")}://{host}:{port}"))],
            new TrafficPolicy { LoadBalancer = LoadBalancer, ConnectionPool = ConnectionPool, OutlierDetection = OutlierDetection, Tls = Tls }, Protocol)
        {
            IsOriginalDestination = true,
        };

    /// <summary>The service port.</summary>
    public int Port { get; }

    /// <summary>The service port's protocol: HTTP/2 and gRPC clusters are reached over HTTP/2.</summary>
    public ServiceProtocol Protocol { get; }

    /// <summary>Whether requests to the endpoints go over HTTP/2 (one multiplexed connection per endpoint).</summary>
    public bool IsHttp2 => Protocol is ServiceProtocol.Http2 or ServiceProtocol.Grpc;

    public string? Subset { get; }

    public ImmutableArray<UpstreamEndpoint> Endpoints { get; }

    public LoadBalancerSettings LoadBalancer { get; }

    /// <summary>Circuit-breaking limits per upstream host, or null for none.</summary>
    public ConnectionPoolSettings? ConnectionPool { get; }

    /// <summary>Outlier detection, or null when the policy has none.</summary>
    public OutlierDetection? OutlierDetection { get; }

    /// <summary>The TLS the sidecar originates to the endpoints (a DestinationRule's <c>tls.mode: SIMPLE</c>), or null.</summary>
    public ClientTlsSettings? Tls { get; }

    /// <summary>The ring for consistent hashing, when the policy asks for it.</summary>
    public HashRing? Ring { get; }
}

/// <summary>
/// Envoy's ring hash: each endpoint is placed on a ring of 64-bit xxHash values several times;
/// a request goes to the first endpoint at or after its own hash.
/// </summary>
internal sealed class HashRing
{
    private readonly ulong[] _hashes;
    private readonly UpstreamEndpoint[] _endpoints;

    public HashRing(ImmutableArray<UpstreamEndpoint> endpoints, int minimumRingSize)
    {
        var perEndpoint = (int)Math.Ceiling(minimumRingSize / (double)endpoints.Length);
        var entries = endpoints
            .SelectMany(endpoint => Enumerable.Range(0, perEndpoint).Select(i => (Hash: Hash($"{endpoint.Name}_{i}"), Endpoint: endpoint)))
            .OrderBy(entry => entry.Hash)
            .ToArray();
        _hashes = [.. entries.Select(entry => entry.Hash)];
        _endpoints = [.. entries.Select(entry => entry.Endpoint)];
    }

    public UpstreamEndpoint Find(ulong hash)
    {
        var index = Array.BinarySearch(_hashes, hash);
        if (index < 0)
        {
            index = ~index;
        }

        return _endpoints[index == _hashes.Length ? 0 : index];
    }

    public static ulong Hash(string key) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key));
}
