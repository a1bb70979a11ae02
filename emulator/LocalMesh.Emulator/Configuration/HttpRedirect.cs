using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>HTTPRedirect</c>: answer with a redirect instead of forwarding.</summary>
public sealed record HttpRedirect
{
    /// <summary>Replaces the path.</summary>
    public string? Uri { get; init; }

    /// <summary>Replaces the authority.</summary>
    public string? Authority { get; init; }

    /// <summary>Replaces the port.</summary>
    public int? Port { get; init; }

    /// <summary>Replaces the scheme.</summary>
    public string? Scheme { get; init; }

    /// <summary>The status code; Istio's default is 301.</summary>
    public int RedirectCode { get; init; } = 301;
}
