namespace LocalMesh.Emulator.Configuration;

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
