using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>Headers</c>: changes to the request and to the response.</summary>
public sealed record Headers
{
    /// <summary>Changes to the request before it is forwarded.</summary>
    public HeaderOperations? Request { get; init; }

    /// <summary>Changes to the response before it is returned.</summary>
    public HeaderOperations? Response { get; init; }
}
