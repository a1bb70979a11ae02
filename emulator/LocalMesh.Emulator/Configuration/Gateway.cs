using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

// Istio's Gateway (networking.istio.io/v1) and the VirtualServices bound to it, as immutable
// records with Istio's names.

/// <summary>
/// Istio's <c>Gateway</c>: what the ingress gateway it selects serves. Once a Gateway selects an
/// ingress gateway, the VirtualServices bound to it alone decide what that gateway answers, and
/// every other request gets 404 (flag NR), as Istio's gateway does.
/// </summary>
/// <param name="Name">The Gateway's name.</param>
public sealed record GatewayConfig(string Name)
{
    /// <summary>The labels of Istio's ingress gateway pods, as <c>istioctl install</c> and the Helm chart label them.</summary>
    internal static readonly ImmutableArray<ImmutableDictionary<string, string>> IngressGatewayLabels =
    [
        ImmutableDictionary<string, string>.Empty.Add("istio", "ingressgateway").Add("app", "istio-ingressgateway"),
        ImmutableDictionary<string, string>.Empty.Add("istio", "ingress").Add("app", "istio-ingress"),
    ];

    /// <summary>Its namespace; <c>null</c> for the mesh's.</summary>
    public string? Namespace { get; init; }

    /// <summary>The labels of the gateway pods it configures; empty selects every gateway.</summary>
    public IReadOnlyDictionary<string, string> Selector { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The ports it opens and the hosts each serves.</summary>
    public ImmutableArray<GatewayServer> Servers { get; init; } = [];

    /// <summary>Whether it configures the mesh's ingress gateways (which carry Istio's ingress gateway labels).</summary>
    public bool SelectsIngressGateway => Selector.Count == 0
        || IngressGatewayLabels.Any(labels => Selector.All(label => labels.GetValueOrDefault(label.Key) == label.Value));

    /// <summary>The Gateway's <c>namespace/name</c>, as a VirtualService's <c>gateways</c> names it.</summary>
    internal string FullName(string meshNamespace) => $"{Namespace ?? meshNamespace}/{Name}";
}

/// <summary>One server of a <see cref="GatewayConfig"/>: a port and the hosts it serves there.</summary>
/// <param name="Port">The port number on the gateway pods.</param>
/// <param name="Protocol">HTTP, HTTPS, HTTP2, GRPC, TCP, TLS.</param>
/// <param name="Hosts">The hosts, e.g. <c>*</c>, <c>bookinfo.example.com</c>, <c>*.example.com</c>, optionally <c>namespace/</c>-prefixed.</param>
public sealed record GatewayServer(int Port, string Protocol, ImmutableArray<string> Hosts)
{
    /// <summary>The port's name.</summary>
    public string? PortName { get; init; }
}

/// <summary>
/// Istio's <c>VirtualService</c>: routes for the mesh's sidecars (a service's
/// <see cref="MeshServiceConfig.VirtualService"/>), or bound to gateways (its <c>gateways</c> name
/// them; <see cref="MeshConfig.GatewayVirtualServices"/>): the routes a gateway applies to
/// requests for its hosts.
/// </summary>
/// <param name="Name">The VirtualService's name.</param>
public sealed record VirtualService(string Name)
{
    /// <summary>Its namespace; <c>null</c> for the mesh's.</summary>
    public string? Namespace { get; init; }

    /// <summary>The hosts (authorities) it routes, e.g. <c>*</c> or <c>bookinfo.example.com</c>.</summary>
    public ImmutableArray<string> Hosts { get; init; } = [];

    /// <summary>The gateways it is bound to, each as <c>namespace/name</c>; empty for the mesh's sidecars.</summary>
    public ImmutableArray<string> Gateways { get; init; } = [];

    /// <summary>Its HTTP routes, tried in order.</summary>
    public ImmutableArray<HttpRoute> Http { get; init; } = [];

    /// <summary>Its TCP routes, tried in order for each new connection to a TCP port.</summary>
    public ImmutableArray<TcpRoute> Tcp { get; init; } = [];

    /// <summary>Whether <paramref name="pattern"/> (a host of a Gateway or a VirtualService) covers <paramref name="host"/>, as Istio compares hosts.</summary>
    internal static bool HostMatches(string pattern, string host)
    {
        // Called per request by the gateway: spans, no substrings.
        var hosts = pattern.AsSpan(pattern.IndexOf('/') + 1);
        return hosts is "*"
            || (hosts.StartsWith("*.") && host.AsSpan().EndsWith(hosts[1..], StringComparison.OrdinalIgnoreCase))
            || hosts.Equals(host, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The host a Gateway's server host and a VirtualService's host both cover, the more specific
    /// of the two (a VirtualService's <c>*</c> on a server for <c>bookinfo.example.com</c> serves
    /// <c>bookinfo.example.com</c>); <c>null</c> when neither covers the other.
    /// </summary>
    internal static string? Intersect(string gatewayHost, string virtualServiceHost)
    {
        var server = gatewayHost[(gatewayHost.IndexOf('/') + 1)..];
        return HostMatches(server, virtualServiceHost) ? virtualServiceHost
            : HostMatches(virtualServiceHost, server) ? server
            : null;
    }
}
