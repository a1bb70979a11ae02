using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>RouteDestination</c> of a TCP route: a destination and its relative weight.</summary>
/// <param name="Destination">Where to send the connection.</param>
/// <param name="Weight">Relative weight; a lone destination gets everything, weight 0 gets nothing.</param>
public sealed record RouteDestination(Destination Destination, int? Weight = null);
