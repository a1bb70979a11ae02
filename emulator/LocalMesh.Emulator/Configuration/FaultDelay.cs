using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>A fixed delay injected into a percentage of requests.</summary>
/// <param name="FixedDelay">How long.</param>
/// <param name="Percentage">Of requests, 0–100; no percentage injects nothing (Istio 1.16+).</param>
public sealed record FaultDelay(TimeSpan FixedDelay, double? Percentage);
