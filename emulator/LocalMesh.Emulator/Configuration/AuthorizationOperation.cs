namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>Operation</c>: every field set must match; values may use <c>*</c> as prefix or suffix.</summary>
public sealed record AuthorizationOperation
{
    /// <summary>Host (authority) values.</summary>
    public IReadOnlyList<string>? Hosts { get; init; }

    /// <summary>Hosts that must not be the request's.</summary>
    public IReadOnlyList<string>? NotHosts { get; init; }

    /// <summary>Ports of the workload being called.</summary>
    public IReadOnlyList<string>? Ports { get; init; }

    /// <summary>Ports that must not be the request's.</summary>
    public IReadOnlyList<string>? NotPorts { get; init; }

    /// <summary>HTTP methods.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>Methods that must not be the request's.</summary>
    public IReadOnlyList<string>? NotMethods { get; init; }

    /// <summary>Paths (without the query string).</summary>
    public IReadOnlyList<string>? Paths { get; init; }

    /// <summary>Paths that must not be the request's.</summary>
    public IReadOnlyList<string>? NotPaths { get; init; }
}
