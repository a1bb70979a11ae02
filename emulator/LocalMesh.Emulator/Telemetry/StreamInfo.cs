using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Telemetry;

/// <summary>
/// What one request or TCP connection was, as Envoy's <c>StreamInfo</c> records it for its access
/// log: filled by the listener that handled it, HTTP or TCP alike, and written by
/// <see cref="AccessLog"/>. What a connection does not have (a method, a path) stays null and is
/// written "-".
/// </summary>
internal sealed record StreamInfo
{
    /// <summary>The listener that handled it: its workload's log is where the line goes.</summary>
    public required ListenerConfig Listener { get; init; }

    public required DateTimeOffset Start { get; init; }

    public required TimeSpan Duration { get; init; }

    public ResponseFlags Flags { get; init; }

    public string? Method { get; init; }

    /// <summary>The path with its query string.</summary>
    public string? Path { get; init; }

    public string? Protocol { get; init; }

    /// <summary>The status code; 0 for a connection, or a caller that went away before any response.</summary>
    public int ResponseCode { get; init; }

    /// <summary>Why the response is what it is, in Envoy's words (see <see cref="DetailsOf"/>).</summary>
    public string? ResponseCodeDetails { get; init; }

    /// <summary>Why a connection was closed, in Envoy's words (an authorization policy's denial).</summary>
    public string? ConnectionTerminationDetails { get; init; }

    public long BytesReceived { get; init; }

    public long BytesSent { get; init; }

    public string? ForwardedFor { get; init; }

    public string? UserAgent { get; init; }

    public string? RequestId { get; init; }

    public string? Authority { get; init; }

    public string? UpstreamHost { get; init; }

    public string? UpstreamCluster { get; init; }

    public string? Route { get; init; }

    public required string LocalAddress { get; init; }

    public required string RemoteAddress { get; init; }

    /// <summary>Envoy's reason for an authorization policy's denial.</summary>
    public static string DeniedDetails(string policy) => $"rbac_access_denied_matched_policy[{policy}]";

    /// <summary>Why a response is what it is, in Envoy's words: from the upstream, or the local reply's reason.</summary>
    public static string DetailsOf(ResponseFlags flags, string? deniedBy, int status) => flags switch
    {
        _ when flags.HasFlag(ResponseFlags.FaultInjected) => "fault_filter_abort",
        _ when flags.HasFlag(ResponseFlags.NoRouteFound) => "route_not_found",
        _ when flags.HasFlag(ResponseFlags.NoClusterFound) => "cluster_not_found",
        _ when flags.HasFlag(ResponseFlags.NoHealthyUpstream) => "no_healthy_upstream",
        _ when flags.HasFlag(ResponseFlags.UpstreamOverflow) => "upstream_reset_before_response_started{overflow}",
        _ when flags.HasFlag(ResponseFlags.UpstreamConnectionFailure) => "upstream_reset_before_response_started{connection_failure}",
        _ when flags.HasFlag(ResponseFlags.UpstreamConnectionTermination) => "upstream_reset_before_response_started{connection_termination}",
        _ when flags.HasFlag(ResponseFlags.UpstreamRequestTimeout) => "response_timeout",
        _ when flags.HasFlag(ResponseFlags.DownstreamProtocolError) => "http1.codec_error",
        _ when flags.HasFlag(ResponseFlags.DownstreamConnectionTermination) => "downstream_remote_disconnect",
        _ when deniedBy is { } policy => DeniedDetails(policy),
        _ when status == 0 => "-",
        _ => "via_upstream",
    };
}
