using System.Text;

namespace LocalMesh.Emulator.Telemetry;

/// <summary>Envoy's response flags: why a response is what it is.</summary>
[Flags]
internal enum ResponseFlags
{
    /// <summary>Nothing unusual (written <c>-</c>).</summary>
    None = 0,

    /// <summary>UH: no healthy upstream host.</summary>
    NoHealthyUpstream = 1 << 0,

    /// <summary>UF: the upstream connection failed.</summary>
    UpstreamConnectionFailure = 1 << 1,

    /// <summary>NR: no route matched.</summary>
    NoRouteFound = 1 << 2,

    /// <summary>UT: the upstream request timed out.</summary>
    UpstreamRequestTimeout = 1 << 3,

    /// <summary>UC: the upstream connection closed before a full response.</summary>
    UpstreamConnectionTermination = 1 << 4,

    /// <summary>DC: the downstream (caller) went away.</summary>
    DownstreamConnectionTermination = 1 << 5,

    /// <summary>DI: the request was delayed by fault injection.</summary>
    DelayInjected = 1 << 6,

    /// <summary>FI: the request was aborted by fault injection.</summary>
    FaultInjected = 1 << 7,

    /// <summary>URX: the retry limit was reached and the last try's outcome returned.</summary>
    UpstreamRetryLimitExceeded = 1 << 8,

    /// <summary>UO: an upstream overflowed its circuit breaker.</summary>
    UpstreamOverflow = 1 << 9,

    /// <summary>DPE: the downstream request had an HTTP protocol error.</summary>
    DownstreamProtocolError = 1 << 10,

    /// <summary>SI: the stream idled past its timeout (a request body that stopped arriving).</summary>
    StreamIdleTimeout = 1 << 11,

    /// <summary>UPE: the upstream cannot carry the request's protocol (a gRPC call to a port that speaks HTTP/1.1).</summary>
    UpstreamProtocolError = 1 << 12,

    /// <summary>NC: the route's destination is no cluster (its host is no service of the mesh, or its subset is not declared).</summary>
    NoClusterFound = 1 << 13,
}

/// <summary>Formatting of <see cref="ResponseFlags"/> as Envoy writes them.</summary>
internal static class ResponseFlagsExtensions
{
    private static readonly (ResponseFlags Flag, string Code)[] Codes =
    [
        (ResponseFlags.NoHealthyUpstream, "UH"),
        (ResponseFlags.UpstreamConnectionFailure, "UF"),
        (ResponseFlags.NoRouteFound, "NR"),
        (ResponseFlags.UpstreamRequestTimeout, "UT"),
        (ResponseFlags.UpstreamConnectionTermination, "UC"),
        (ResponseFlags.DownstreamConnectionTermination, "DC"),
        (ResponseFlags.DelayInjected, "DI"),
        (ResponseFlags.FaultInjected, "FI"),
        (ResponseFlags.UpstreamRetryLimitExceeded, "URX"),
        (ResponseFlags.UpstreamOverflow, "UO"),
        (ResponseFlags.DownstreamProtocolError, "DPE"),
        (ResponseFlags.StreamIdleTimeout, "SI"),
        (ResponseFlags.UpstreamProtocolError, "UPE"),
        (ResponseFlags.NoClusterFound, "NC"),
    ];

    /// <summary>The flags in Envoy's short form, comma separated, or <c>-</c> for none.</summary>
    public static string ToEnvoyString(this ResponseFlags flags)
    {
        if (flags == ResponseFlags.None)
        {
            return "-";
        }

        var text = new StringBuilder();
        foreach (var (flag, code) in Codes)
        {
            if (flags.HasFlag(flag))
            {
                text.Append(text.Length == 0 ? "" : ",").Append(code);
            }
        }

        return text.ToString();
    }
}
