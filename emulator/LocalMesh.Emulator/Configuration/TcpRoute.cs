using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>TCPRoute</c>: tried in order for each new connection; the first that matches picks a weighted destination.</summary>
public sealed record TcpRoute
{
    /// <summary>The conditions, ORed; none matches every connection.</summary>
    public IReadOnlyList<L4MatchAttributes>? Match { get; init; }

    /// <summary>The weighted destinations.</summary>
    public IReadOnlyList<RouteDestination>? Route { get; init; }

    /// <summary>The route as an HTTP route with the same matches and destinations (named <c>tcp-&lt;index&gt;</c>), which the router compiles and the dashboard shows alike.</summary>
    /// <param name="index">The route's place in its VirtualService's <c>tcp</c> list.</param>
    internal HttpRoute AsHttpRoute(int index) => new()
    {
        Name = $"tcp-{index}",
        Match = Match?.Select(match => new HttpMatchRequest { Port = match.Port, SourceLabels = match.SourceLabels }).ToList(),
        Route = Route?.Select(destination => new HttpRouteDestination(destination.Destination, destination.Weight)).ToList(),
    };
}
