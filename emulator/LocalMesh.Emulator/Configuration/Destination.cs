using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>Destination</c>: a service, optionally a subset of it.</summary>
/// <param name="Host">The mesh service.</param>
/// <param name="Subset">A subset declared in the service's destination rule.</param>
/// <param name="Port">The service port; optional when the service has one.</param>
public sealed record Destination(string Host, string? Subset = null, int? Port = null)
{
    /// <inheritdoc />
    public override string ToString() => Subset is null ? Host : $"{Host}/{Subset}";
}
