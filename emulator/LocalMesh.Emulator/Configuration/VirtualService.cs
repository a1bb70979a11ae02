using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

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
