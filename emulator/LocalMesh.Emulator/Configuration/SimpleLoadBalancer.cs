namespace LocalMesh.Emulator.Configuration;

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
