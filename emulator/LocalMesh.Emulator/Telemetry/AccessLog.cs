using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Telemetry;

/// <summary>
/// Envoy's access log as Istio configures it: one line a request, in Istio's default text format
/// (or its JSON fields), written to the log of the workload whose sidecar (or gateway) handled it,
/// as <c>kubectl logs -c istio-proxy</c> shows it.
/// </summary>
internal sealed class AccessLog(ILoggerFactory loggers)
{
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public void Write(HttpContext context, MeshRequest request, int status, DateTimeOffset start, TimeSpan duration)
    {
        if (LoggerFor(request.Snapshot, request.Listener) is { } log)
        {
            Write(log, Fields(context, request, status, start, duration));
        }
    }

    /// <summary>One line for a TCP connection, when it closed: Istio's format with the HTTP fields empty.</summary>
    public void Write(TcpConnectionLog connection)
    {
        if (LoggerFor(connection.Snapshot, connection.Listener) is { } log)
        {
            Write(log,
            [
                ("start_time", connection.Start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
                ("method", "-"),
                ("path", "-"),
                ("protocol", "-"),
                ("response_code", "0"),
                ("response_flags", connection.Flags.ToEnvoyString()),
                ("response_code_details", "-"),
                ("connection_termination_details", connection.DeniedBy is { } policy ? $"rbac_access_denied_matched_policy[{policy}]" : "-"),
                ("upstream_transport_failure_reason", "-"),
                ("bytes_received", connection.BytesReceived.ToString(CultureInfo.InvariantCulture)),
                ("bytes_sent", connection.BytesSent.ToString(CultureInfo.InvariantCulture)),
                ("duration", ((long)connection.Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)),
                ("upstream_service_time", "-"),
                ("x_forwarded_for", "-"),
                ("user_agent", "-"),
                ("request_id", "-"),
                ("authority", "-"),
                ("upstream_host", connection.UpstreamHost ?? "-"),
                ("upstream_cluster", connection.UpstreamCluster ?? "-"),
                ("upstream_local_address", "-"),
                ("downstream_local_address", connection.LocalAddress),
                ("downstream_remote_address", connection.RemoteAddress),
                ("requested_server_name", "-"),
                ("route_name", connection.Route ?? "-"),
            ]);
        }
    }

    private (ILogger Logger, AccessLogEncoding Encoding)? LoggerFor(MeshSnapshot snapshot, ListenerConfig listener)
    {
        if (snapshot.Config.AccessLog is not { } encoding)
        {
            return null;
        }

        var workload = listener.Workload ?? listener.Destination ?? MeshTelemetry.Unknown;
        var logger = _loggers.GetOrAdd(workload, static (name, factory) => factory.CreateLogger(MeshLogCategories.AccessLog(name)), loggers);
        return logger.IsEnabled(LogLevel.Information) ? (logger, encoding) : null;
    }

    private static void Write((ILogger Logger, AccessLogEncoding Encoding) log, (string Name, string Value)[] fields) =>
        log.Logger.LogInformation("{AccessLog}", log.Encoding == AccessLogEncoding.Json ? Json(fields) : Text(fields));

    /// <summary>The fields of Istio's default format, in its order, with its JSON names; "-" for what is not known.</summary>
    internal static (string Name, string Value)[] Fields(HttpContext context, MeshRequest request, int status, DateTimeOffset start, TimeSpan duration)
    {
        var incoming = context.Request;
        string Header(string name) => incoming.Headers[name].ToString() is { Length: > 0 } value ? value : "-";
        var upstreamHost = request.Listener.Kind == ListenerKind.Inbound ? request.Application?.Authority : request.Endpoint?.Address.Authority;
        return
        [
            ("start_time", start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
            ("method", incoming.Method),
            ("path", incoming.Path.ToUriComponent() + incoming.QueryString.ToUriComponent()),
            ("protocol", incoming.Protocol),
            ("response_code", status.ToString(CultureInfo.InvariantCulture)),
            ("response_flags", request.Flags.ToEnvoyString()),
            ("response_code_details", Details(request, status)),
            ("connection_termination_details", "-"),
            ("upstream_transport_failure_reason", "-"),
            ("bytes_received", request.RequestBytes(incoming).ToString(CultureInfo.InvariantCulture)),
            ("bytes_sent", request.ResponseBytes(context.Response).ToString(CultureInfo.InvariantCulture)),
            ("duration", ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)),
            ("upstream_service_time", "-"),
            ("x_forwarded_for", Header("x-forwarded-for")),
            ("user_agent", Header("user-agent")),
            ("request_id", Header(RequestIdStage.Header)),
            ("authority", incoming.Host.Value is { Length: > 0 } host ? host : "-"),
            ("upstream_host", upstreamHost ?? "-"),
            ("upstream_cluster", request.Cluster?.Name ?? (request.Listener.Kind == ListenerKind.Inbound ? $"inbound|{request.Listener.Workload}|" : "-")),
            ("upstream_local_address", "-"),
            ("downstream_local_address", $"{context.Connection.LocalIpAddress}:{context.Connection.LocalPort}"),
            ("downstream_remote_address", $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}"),
            ("requested_server_name", "-"),
            ("route_name", request.Route?.Name ?? "default"),
        ];
    }

    /// <summary>Why the response is what it is, in Envoy's words: from the upstream, or the local reply's reason.</summary>
    private static string Details(MeshRequest request, int status)
    {
        var flags = request.Flags;
        return flags switch
        {
            _ when flags.HasFlag(ResponseFlags.FaultInjected) => "fault_filter_abort",
            _ when flags.HasFlag(ResponseFlags.NoRouteFound) => "route_not_found",
            _ when flags.HasFlag(ResponseFlags.NoHealthyUpstream) => "no_healthy_upstream",
            _ when flags.HasFlag(ResponseFlags.UpstreamOverflow) => "upstream_reset_before_response_started{overflow}",
            _ when flags.HasFlag(ResponseFlags.UpstreamConnectionFailure) => "upstream_reset_before_response_started{connection_failure}",
            _ when flags.HasFlag(ResponseFlags.UpstreamConnectionTermination) => "upstream_reset_before_response_started{connection_termination}",
            _ when flags.HasFlag(ResponseFlags.UpstreamRequestTimeout) => "response_timeout",
            _ when flags.HasFlag(ResponseFlags.DownstreamProtocolError) => "http1.codec_error",
            _ when flags.HasFlag(ResponseFlags.DownstreamConnectionTermination) => "downstream_remote_disconnect",
            _ when request.DeniedBy is { } policy => $"rbac_access_denied_matched_policy[{policy}]",
            _ when status == 0 => "-",
            _ => "via_upstream",
        };
    }

    /// <summary>Istio's default text format: <c>[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% ...</c>.</summary>
    internal static string Text((string Name, string Value)[] f) =>
        $"[{f[0].Value}] \"{f[1].Value} {f[2].Value} {f[3].Value}\" {f[4].Value} {f[5].Value} {f[6].Value} {f[7].Value} \"{f[8].Value}\" " +
        $"{f[9].Value} {f[10].Value} {f[11].Value} {f[12].Value} \"{f[13].Value}\" \"{f[14].Value}\" \"{f[15].Value}\" \"{f[16].Value}\" \"{f[17].Value}\" " +
        $"{f[18].Value} {f[19].Value} {f[20].Value} {f[21].Value} {f[22].Value} {f[23].Value}";

    internal static string Json((string Name, string Value)[] fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                if (value == "-")
                {
                    writer.WriteNull(name);
                }
                else if (name is "response_code" or "bytes_received" or "bytes_sent" or "duration")
                {
                    writer.WriteNumber(name, long.Parse(value, CultureInfo.InvariantCulture));
                }
                else
                {
                    writer.WriteString(name, value);
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>What the access log says of a TCP connection.</summary>
internal sealed record TcpConnectionLog(MeshSnapshot Snapshot, ListenerConfig Listener, DateTimeOffset Start, TimeSpan Duration, ResponseFlags Flags)
{
    public long BytesReceived { get; init; }

    public long BytesSent { get; init; }

    public string? UpstreamHost { get; init; }

    public string? UpstreamCluster { get; init; }

    public string? Route { get; init; }

    public string? DeniedBy { get; init; }

    public required string LocalAddress { get; init; }

    public required string RemoteAddress { get; init; }
}
