using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>HTTPRouteDestination</c>: a destination and its relative weight.</summary>
/// <param name="Destination">Where to send the traffic.</param>
/// <param name="Weight">Relative weight; a lone destination gets everything, weight 0 gets nothing.</param>
public sealed record HttpRouteDestination(Destination Destination, int? Weight = null)
{
    /// <summary>Header changes for requests to, and responses from, this destination.</summary>
    public Headers? Headers { get; init; }

    /// <summary>
    /// A Gateway API backend that resolves to nothing (no such Service, a kind or namespace the
    /// mesh cannot send to): the specification answers its share of requests with 500, where a
    /// VirtualService's unknown destination gets Envoy's 503 (NC).
    /// </summary>
    internal bool Unresolved { get; init; }
}
