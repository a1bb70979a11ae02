using System.Diagnostics.Metrics;

namespace LocalMesh.Emulator.Telemetry;

/// <summary>
/// One mesh's instruments: Istio's standard metrics and the Envoy counters the mesh keeps (names in
/// <see cref="MeshTelemetry"/>'s terms). A meter per mesh, from the host's <see cref="IMeterFactory"/>
/// when it has one, so a mesh's <c>/stats/prometheus</c> reports its own requests and no other
/// mesh's in the same process.
/// </summary>
internal sealed class MeshMetrics : IDisposable
{
    private readonly bool _ownsMeter;

    /// <param name="factory">The host's meter factory (it then owns the meter); null: a meter of the mesh's own, disposed with it.</param>
    public MeshMetrics(IMeterFactory? factory = null)
    {
        _ownsMeter = factory is null;
        Meter = factory?.Create(MeshTelemetry.SourceName) ?? new Meter(MeshTelemetry.SourceName);
        Requests = Meter.CreateCounter<long>(
            MeshTelemetry.RequestsTotal, description: "Requests handled by a mesh proxy, by reporter, source, destination and response code.");
        Duration = Meter.CreateHistogram<double>(
            MeshTelemetry.RequestDuration, unit: "ms", description: "Request duration as seen by a mesh proxy.");
        RequestBytes = Meter.CreateHistogram<double>(
            MeshTelemetry.RequestSize, unit: "By", description: "Request body sizes as seen by a mesh proxy.");
        ResponseBytes = Meter.CreateHistogram<double>(
            MeshTelemetry.ResponseSize, unit: "By", description: "Response body sizes as seen by a mesh proxy.");
        TcpConnectionsOpened = Meter.CreateCounter<long>(
            "istio_tcp_connections_opened_total", description: "TCP connections a mesh proxy opened, by reporter, source and destination.");
        TcpConnectionsClosed = Meter.CreateCounter<long>(
            "istio_tcp_connections_closed_total", description: "TCP connections a mesh proxy closed, by reporter, source and destination.");
        TcpSentBytes = Meter.CreateCounter<long>(
            "istio_tcp_sent_bytes_total", unit: "By", description: "Bytes sent back to the caller of a TCP connection (the response direction).");
        TcpReceivedBytes = Meter.CreateCounter<long>(
            "istio_tcp_received_bytes_total", unit: "By", description: "Bytes received from the caller of a TCP connection (the request direction).");
        DelaysInjected = Meter.CreateCounter<long>(
            "fault.delays_injected", description: "Requests delayed by fault injection (Envoy's fault.delays_injected).");
        AbortsInjected = Meter.CreateCounter<long>(
            "fault.aborts_injected", description: "Requests aborted by fault injection (Envoy's fault.aborts_injected).");
        Retries = Meter.CreateCounter<long>(
            "upstream_rq_retry", description: "Retries sent upstream (Envoy's cluster.upstream_rq_retry).");
        Overflows = Meter.CreateCounter<long>(
            "upstream_rq_pending_overflow", description: "Requests refused by a circuit breaker (Envoy's cluster.upstream_rq_pending_overflow).");
        EjectionsDetected = Meter.CreateCounter<long>(
            "outlier_detection.ejections_detected", description: "Endpoints found to be outliers (Envoy's ejections_detected_*).");
        EjectionsEnforced = Meter.CreateCounter<long>(
            "outlier_detection.ejections_enforced", description: "Endpoints actually ejected (Envoy's ejections_enforced_*).");
        EjectionsOverflow = Meter.CreateCounter<long>(
            "outlier_detection.ejections_overflow", description: "Ejections not enforced because of maxEjectionPercent (Envoy's ejections_overflow).");
        ConnectionsRefused = Meter.CreateCounter<long>(
            "inbound.connections_refused", description: "Connections a sidecar refused: an inbound one under its PeerAuthentication mode or because the mTLS handshake failed, an outbound one because the caller is not its workload's process.");
        ConnectionOverflows = Meter.CreateCounter<long>(
            "listener.downstream_cx_overflow", description: "Connections a listener closed at once because it held its maximum (Envoy's listener.downstream_cx_overflow).");
        ConnectionTimeouts = Meter.CreateCounter<long>(
            "listener.downstream_cx_timeout", description: "Connections closed because no first byte or no finished TLS handshake came in time (Envoy's listener_filters_timeout).");
        Allowed = Meter.CreateCounter<long>(
            "rbac.allowed", description: "Requests an inbound sidecar's authorization policies allowed (Envoy's rbac.allowed).");
        Denied = Meter.CreateCounter<long>(
            "rbac.denied", description: "Requests an inbound sidecar's authorization policies denied (Envoy's rbac.denied).");
        ScaleDecisions = Meter.CreateCounter<long>(
            "autoscaler.scale_decisions", description: "Times a function revision's autoscaler changed its instance count, by revision and direction.");
        InstanceStartDuration = Meter.CreateHistogram<double>(
            "activator.instance_start_duration", unit: "ms", description: "From launching a function instance to it taking requests.");
        ActivatorRejected = Meter.CreateCounter<long>(
            "activator.requests_rejected", description: "Requests the activator answered with 503: queue full or no instance in time.");
        EventsReceived = Meter.CreateCounter<long>(
            "broker.events_received", description: "CloudEvents a broker accepted, by broker and event type.");
        EventDeliveries = Meter.CreateCounter<long>(
            "broker.deliveries", description: "Event deliveries finished, by broker, trigger and result (Delivered, DeadLettered, Dropped).");
    }

    /// <summary>The mesh's meter: every instrument below, and nothing else.</summary>
    public Meter Meter { get; }

    public Counter<long> Requests { get; }

    public Histogram<double> Duration { get; }

    public Histogram<double> RequestBytes { get; }

    public Histogram<double> ResponseBytes { get; }

    public Counter<long> TcpConnectionsOpened { get; }

    public Counter<long> TcpConnectionsClosed { get; }

    public Counter<long> TcpSentBytes { get; }

    public Counter<long> TcpReceivedBytes { get; }

    public Counter<long> DelaysInjected { get; }

    public Counter<long> AbortsInjected { get; }

    public Counter<long> Retries { get; }

    public Counter<long> Overflows { get; }

    public Counter<long> EjectionsDetected { get; }

    public Counter<long> EjectionsEnforced { get; }

    public Counter<long> EjectionsOverflow { get; }

    public Counter<long> ConnectionsRefused { get; }

    public Counter<long> ConnectionOverflows { get; }

    public Counter<long> ConnectionTimeouts { get; }

    public Counter<long> Allowed { get; }

    public Counter<long> Denied { get; }

    public Counter<long> ScaleDecisions { get; }

    public Histogram<double> InstanceStartDuration { get; }

    public Counter<long> ActivatorRejected { get; }

    public Counter<long> EventsReceived { get; }

    public Counter<long> EventDeliveries { get; }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}
