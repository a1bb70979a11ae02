using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>An error answered to a percentage of requests.</summary>
/// <param name="HttpStatus">The HTTP status to answer.</param>
/// <param name="Percentage">Of requests, 0–100; no percentage injects nothing (Istio 1.16+).</param>
public sealed record FaultAbort(int HttpStatus, double? Percentage)
{
    /// <summary>A gRPC status to answer instead of an HTTP one (e.g. <c>UNAVAILABLE</c>).</summary>
    public string? GrpcStatus { get; init; }
}
