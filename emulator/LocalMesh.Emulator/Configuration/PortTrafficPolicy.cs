namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>PortTrafficPolicy</c>: settings for one port of the destination, over the rule's.</summary>
/// <param name="Port">The destination port.</param>
public sealed record PortTrafficPolicy(int Port)
{
    /// <summary>How an endpoint is chosen on this port.</summary>
    public LoadBalancerSettings? LoadBalancer { get; init; }

    /// <summary>Limits on this port's connections and requests.</summary>
    public ConnectionPoolSettings? ConnectionPool { get; init; }

    /// <summary>Ejection of this port's failing endpoints.</summary>
    public OutlierDetection? OutlierDetection { get; init; }

    /// <summary>The TLS the sidecar originates on this port.</summary>
    public ClientTlsSettings? Tls { get; init; }
}
