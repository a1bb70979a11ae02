using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Routing;

/// <summary>
/// What an ingress gateway serves once Gateways select it: Envoy's virtual hosts, one per host
/// the bound VirtualServices route (their routes in the order given, several VirtualServices for
/// one host merged as Istio merges them on gateways). A request's authority picks the virtual host
/// (an exact host over the longest <c>*.suffix</c> over <c>*</c>); none, or no route in it, is 404.
/// </summary>
internal sealed class GatewayRoutes(ImmutableArray<(string Domain, RouteTable Routes)> virtualHosts)
{
    public ImmutableArray<(string Domain, RouteTable Routes)> VirtualHosts { get; } = virtualHosts;

    /// <summary>The routes for <paramref name="host"/> (without its port), or null when no virtual host serves it.</summary>
    public RouteTable? For(string host)
    {
        RouteTable? best = null;
        var bestRank = -1;
        foreach (var (domain, routes) in VirtualHosts)
        {
            if (!VirtualService.HostMatches(domain, host))
            {
                continue;
            }

            // An exact host outranks any wildcard; a longer suffix outranks a shorter one; "*" comes last.
            var rank = domain == "*" ? 0 : domain.StartsWith("*.", StringComparison.Ordinal) ? domain.Length : int.MaxValue;
            if (rank > bestRank)
            {
                (best, bestRank) = (routes, rank);
            }
        }

        return best;
    }
}
