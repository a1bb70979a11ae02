using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LocalMesh.Emulator.Configuration;
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

    /// <summary>
    /// Whether a line from <paramref name="listener"/> would be written (its workload's log takes
    /// information): callers build a <see cref="StreamInfo"/> only then.
    /// </summary>
    public bool Writes(ListenerConfig listener) => LoggerOf(listener).IsEnabled(LogLevel.Information);

    /// <summary>Writes <paramref name="stream"/>'s line to its workload's log, in <paramref name="encoding"/>.</summary>
    public void Write(StreamInfo stream, AccessLogEncoding encoding)
    {
        var fields = Fields(stream);
        LoggerOf(stream.Listener).LogInformation("{AccessLog}", encoding == AccessLogEncoding.Json ? Json(fields) : Text(fields));
    }

    private ILogger LoggerOf(ListenerConfig listener) =>
        _loggers.GetOrAdd(listener.Workload ?? listener.Destination ?? MeshTelemetry.Unknown, static (name, factory) => factory.CreateLogger(MeshLogCategories.AccessLog(name)), loggers);

    /// <summary>The fields of Istio's default format, in its order, with its JSON names; "-" for what is not known.</summary>
    internal static (string Name, string Value)[] Fields(StreamInfo stream) =>
    [
        ("start_time", stream.Start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
        ("method", stream.Method ?? "-"),
        ("path", stream.Path ?? "-"),
        ("protocol", stream.Protocol ?? "-"),
        ("response_code", stream.ResponseCode.ToString(CultureInfo.InvariantCulture)),
        ("response_flags", stream.Flags.ToEnvoyString()),
        ("response_code_details", stream.ResponseCodeDetails ?? "-"),
        ("connection_termination_details", stream.ConnectionTerminationDetails ?? "-"),
        ("upstream_transport_failure_reason", "-"),
        ("bytes_received", stream.BytesReceived.ToString(CultureInfo.InvariantCulture)),
        ("bytes_sent", stream.BytesSent.ToString(CultureInfo.InvariantCulture)),
        ("duration", ((long)stream.Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)),
        ("upstream_service_time", "-"),
        ("x_forwarded_for", stream.ForwardedFor ?? "-"),
        ("user_agent", stream.UserAgent ?? "-"),
        ("request_id", stream.RequestId ?? "-"),
        ("authority", stream.Authority ?? "-"),
        ("upstream_host", stream.UpstreamHost ?? "-"),
        ("upstream_cluster", stream.UpstreamCluster ?? "-"),
        ("upstream_local_address", "-"),
        ("downstream_local_address", stream.LocalAddress),
        ("downstream_remote_address", stream.RemoteAddress),
        ("requested_server_name", "-"),
        ("route_name", stream.Route ?? "-"),
    ];

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
