using System.Diagnostics;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Connections;
using static LocalMesh.Emulator.Telemetry.MeshTelemetry;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.State;

namespace LocalMesh.Emulator.Tcp;

/// <summary>
/// What a TCP sidecar learned of one connection, and how it is reported: Istio's TCP metrics
/// (opened when the upstream connection is made; the bytes each way every 15 s while it lasts, as
/// Istio's <c>tcp_reporting_duration</c>, and the rest with closed when it ends), the connection's
/// span and its access-log line.
/// </summary>
internal sealed class TcpSession(MeshSnapshot snapshot, ListenerConfig listener, DownstreamPeer peer, DateTimeOffset start, long started, ConnectionContext connection, MeshMetrics metrics)
{
    /// <summary>Istio's <c>tcp_reporting_duration</c>: how often a long connection's bytes are counted.</summary>
    public static readonly TimeSpan ReportingPeriod = TimeSpan.FromSeconds(15);

    private readonly Lock _report = new();
    private bool _opened;
    private long _received;
    private long _sent;
    private long _receivedReported;
    private long _sentReported;
    private ITimer? _reporting;

    public MeshSnapshot Snapshot { get; } = snapshot;

    public ListenerConfig Listener { get; } = listener;

    /// <summary>The caller's connection.</summary>
    public ConnectionContext Downstream { get; } = connection;

    /// <summary>When the connection arrived, as a timestamp of the injected clock.</summary>
    public long Started { get; } = started;

    /// <summary>The calling workload (<see cref="DownstreamPeer"/>, as for HTTP).</summary>
    public string Source { get; } = peer.Workload;

    public string? SourceIdentity { get; } = peer.Identity;

    public string? DestinationWorkload { get; set; }

    public string? DestinationService { get; set; }

    public string? UpstreamHost { get; set; }

    public string? UpstreamCluster { get; set; }

    public string? Route { get; set; }

    public string? DeniedBy { get; set; }

    /// <summary>Whether the upstream connection is mutual TLS (outbound), for the span.</summary>
    public bool MutualTls { get; set; }

    public ResponseFlags Flags { get; set; }

    /// <summary>How long the connection may pass no byte either way (the destination's <c>connectionPool.tcp.idleTimeout</c>); zero: no limit.</summary>
    public TimeSpan IdleTimeout { get; set; } = TcpSettings.DefaultIdleTimeout;

    /// <summary>Whether the connection was closed for passing no byte for <see cref="IdleTimeout"/>.</summary>
    public bool IdleTimedOut { get; set; }

    /// <summary>Bytes from the caller, sent on upstream.</summary>
    public long BytesReceived => Interlocked.Read(ref _received);

    /// <summary>Bytes from the upstream, sent back to the caller.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

    public void Received(long bytes) => Interlocked.Add(ref _received, bytes);

    public void Sent(long bytes) => Interlocked.Add(ref _sent, bytes);

    private bool IsInbound => Listener.Kind == ListenerKind.Inbound;

    /// <summary>The upstream connection is made: the connection counts as opened, and its bytes are reported from now on.</summary>
    public void Opened(TimeProvider time)
    {
        _opened = true;
        metrics.TcpConnectionsOpened.Add(1, Tags());
        _reporting = time.CreateTimer(static state => ((TcpSession)state!).ReportBytes(), this, ReportingPeriod, ReportingPeriod);
    }

    /// <summary>Counts the bytes since the last report.</summary>
    private void ReportBytes()
    {
        lock (_report)
        {
            var (received, sent) = (BytesReceived, BytesSent);
            var tags = Tags();
            metrics.TcpReceivedBytes.Add(received - _receivedReported, tags);
            metrics.TcpSentBytes.Add(sent - _sentReported, tags);
            (_receivedReported, _sentReported) = (received, sent);
        }
    }

    /// <summary>The connection ended (or was refused): counted, traced and logged.</summary>
    public void Finish(Activity? activity, TimeSpan duration, AccessLog accessLog)
    {
        var tags = Tags();
        if (_opened)
        {
            _reporting?.Dispose();
            ReportBytes();
            metrics.TcpConnectionsClosed.Add(1, tags);
        }

        if (activity is not null)
        {
            foreach (var tag in tags)
            {
                activity.SetTag(tag.Key, tag.Value);
            }

            activity.SetTag(Attributes.Listener, Listener.Name);
            activity.SetTag(Attributes.UpstreamCluster, UpstreamCluster);
            activity.SetTag(Attributes.Route, Route);
            activity.SetTag("net.transport", "ip_tcp");
            activity.SetTag("tcp.bytes_received", BytesReceived);
            activity.SetTag("tcp.bytes_sent", BytesSent);
            if (IdleTimedOut)
            {
                activity.SetTag("tcp.close_reason", "idle_timeout");
            }
            // On a span, the principal as authorization policies name it, and only where mutual TLS proved it.
            activity.SetTag(Attributes.SourcePrincipal, IsInbound && SourceIdentity is { } peer ? SpiffeId.Principal(peer) : null);

            if (DeniedBy is not null || Flags != ResponseFlags.None)
            {
                activity.SetStatus(ActivityStatusCode.Error, DeniedBy is { } policy ? StreamInfo.DeniedDetails(policy) : Flags.ToEnvoyString());
            }
        }

        if (Snapshot.Config.AccessLog is not { } encoding || !accessLog.Writes(Listener))
        {
            return;
        }

        var stream = new StreamInfo
        {
            Listener = Listener,
            Start = start,
            Duration = duration,
            Flags = Flags,
            ConnectionTerminationDetails = DeniedBy is { } denied ? StreamInfo.DeniedDetails(denied) : null,
            BytesReceived = BytesReceived,
            BytesSent = BytesSent,
            UpstreamHost = UpstreamHost,
            UpstreamCluster = UpstreamCluster,
            Route = Route,
            LocalAddress = Downstream.LocalEndPoint?.ToString() ?? "-",
            RemoteAddress = Downstream.RemoteEndPoint?.ToString() ?? "-",
        };
        accessLog.Write(stream, encoding);
    }

    private TagList Tags() =>
        IstioLabels.For(Snapshot, IsInbound, Source, SourceIdentity, DestinationWorkload ?? Unknown, DestinationService, Flags, "tcp");
}
