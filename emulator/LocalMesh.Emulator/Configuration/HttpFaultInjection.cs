using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>HTTPFaultInjection</c>: delays and aborts, independent of each other.</summary>
public sealed record HttpFaultInjection
{
    /// <summary>Delay before forwarding.</summary>
    public FaultDelay? Delay { get; init; }

    /// <summary>Answer with an error instead of forwarding.</summary>
    public FaultAbort? Abort { get; init; }
}
