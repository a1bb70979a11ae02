namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>ConnectionPoolSettings</c>: limits per upstream host; past them a request gets 503 with flag UO.</summary>
public sealed record ConnectionPoolSettings
{
    /// <summary>TCP-level limits.</summary>
    public TcpSettings? Tcp { get; init; }

    /// <summary>HTTP-level limits.</summary>
    public HttpSettings? Http { get; init; }
}
