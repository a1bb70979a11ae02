using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>HTTPRewrite</c>: change the request before forwarding.</summary>
public sealed record HttpRewrite
{
    /// <summary>Replaces the matched path prefix (or the whole path for an exact match).</summary>
    public string? Uri { get; init; }

    /// <summary>Replaces the authority (Host header).</summary>
    public string? Authority { get; init; }
}
