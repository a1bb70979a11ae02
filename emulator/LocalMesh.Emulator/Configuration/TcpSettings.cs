namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>ConnectionPoolSettings.TCPSettings</c>.</summary>
public sealed record TcpSettings
{
    /// <summary>Istio's and Envoy's default connect timeout.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Connections to one upstream host (default 2³²−1).</summary>
    public int? MaxConnections { get; init; }

    /// <summary>How long a connection may take to establish (default 10 s).</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>
    /// How long a TCP connection may pass no byte either way before both ends are closed (default
    /// 1 h; zero disables it). Istio's <c>connectionPool.tcp.idleTimeout</c>, Envoy's TCP proxy <c>idle_timeout</c>.
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Istio's default idle timeout for TCP connections.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(1);
}
