using System.Diagnostics;
using System.Diagnostics.Metrics;
using LocalMesh.Emulator.Routing;

namespace LocalMesh.Emulator.Telemetry;

/// <summary>
/// The mesh's spans and metrics. Metric and label names follow Istio's standard metrics so that
/// dashboards and alerts written for a cluster read the same locally.
/// </summary>
internal static class MeshTelemetry
{
    /// <summary>The name of the mesh's <see cref="ActivitySource"/> and <see cref="Meter"/>.</summary>
    public const string SourceName = "LocalMesh";

    /// <summary>Istio's request counter.</summary>
    public const string RequestsTotal = "istio_requests_total";

    /// <summary>Istio's request duration histogram.</summary>
    public const string RequestDuration = "istio_request_duration_milliseconds";

    /// <summary>Istio's request size histogram.</summary>
    public const string RequestSize = "istio_request_bytes";

    /// <summary>Istio's response size histogram.</summary>
    public const string ResponseSize = "istio_response_bytes";

    /// <summary>The workload name used when the caller is not known to the mesh (Istio's word).</summary>
    public const string Unknown = "unknown";

    internal static readonly ActivitySource ActivitySource = new(SourceName);
    internal static readonly Meter Meter = new(SourceName);

    internal static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        RequestsTotal, description: "Requests handled by a mesh proxy, by reporter, source, destination and response code.");

    internal static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        RequestDuration, unit: "ms", description: "Request duration as seen by a mesh proxy.");

    internal static readonly Histogram<double> RequestBytes = Meter.CreateHistogram<double>(
        RequestSize, unit: "By", description: "Request body sizes as seen by a mesh proxy.");

    internal static readonly Histogram<double> ResponseBytes = Meter.CreateHistogram<double>(
        ResponseSize, unit: "By", description: "Response body sizes as seen by a mesh proxy.");

    internal static readonly Counter<long> TcpConnectionsOpened = Meter.CreateCounter<long>(
        "istio_tcp_connections_opened_total", description: "TCP connections a mesh proxy opened, by reporter, source and destination.");

    internal static readonly Counter<long> TcpConnectionsClosed = Meter.CreateCounter<long>(
        "istio_tcp_connections_closed_total", description: "TCP connections a mesh proxy closed, by reporter, source and destination.");

    internal static readonly Counter<long> TcpSentBytes = Meter.CreateCounter<long>(
        "istio_tcp_sent_bytes_total", unit: "By", description: "Bytes sent back to the caller of a TCP connection (the response direction).");

    internal static readonly Counter<long> TcpReceivedBytes = Meter.CreateCounter<long>(
        "istio_tcp_received_bytes_total", unit: "By", description: "Bytes received from the caller of a TCP connection (the request direction).");

    internal static readonly Counter<long> DelaysInjected = Meter.CreateCounter<long>(
        "fault.delays_injected", description: "Requests delayed by fault injection (Envoy's fault.delays_injected).");

    internal static readonly Counter<long> AbortsInjected = Meter.CreateCounter<long>(
        "fault.aborts_injected", description: "Requests aborted by fault injection (Envoy's fault.aborts_injected).");

    internal static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "upstream_rq_retry", description: "Retries sent upstream (Envoy's cluster.upstream_rq_retry).");

    internal static readonly Counter<long> Overflows = Meter.CreateCounter<long>(
        "upstream_rq_pending_overflow", description: "Requests refused by a circuit breaker (Envoy's cluster.upstream_rq_pending_overflow).");

    internal static readonly Counter<long> EjectionsDetected = Meter.CreateCounter<long>(
        "outlier_detection.ejections_detected", description: "Endpoints found to be outliers (Envoy's ejections_detected_*).");

    internal static readonly Counter<long> EjectionsEnforced = Meter.CreateCounter<long>(
        "outlier_detection.ejections_enforced", description: "Endpoints actually ejected (Envoy's ejections_enforced_*).");

    internal static readonly Counter<long> EjectionsOverflow = Meter.CreateCounter<long>(
        "outlier_detection.ejections_overflow", description: "Ejections not enforced because of maxEjectionPercent (Envoy's ejections_overflow).");

    internal static readonly Counter<long> ConnectionsRefused = Meter.CreateCounter<long>(
        "inbound.connections_refused", description: "Connections a sidecar refused: an inbound one under its PeerAuthentication mode or because the mTLS handshake failed, an outbound one because the caller is not its workload's process.");

    internal static readonly Counter<long> ConnectionOverflows = Meter.CreateCounter<long>(
        "listener.downstream_cx_overflow", description: "Connections a listener closed at once because it held its maximum (Envoy's listener.downstream_cx_overflow).");

    internal static readonly Counter<long> ConnectionTimeouts = Meter.CreateCounter<long>(
        "listener.downstream_cx_timeout", description: "Connections closed because no first byte or no finished TLS handshake came in time (Envoy's listener_filters_timeout).");

    internal static readonly Counter<long> Allowed = Meter.CreateCounter<long>(
        "rbac.allowed", description: "Requests an inbound sidecar's authorization policies allowed (Envoy's rbac.allowed).");

    internal static readonly Counter<long> Denied = Meter.CreateCounter<long>(
        "rbac.denied", description: "Requests an inbound sidecar's authorization policies denied (Envoy's rbac.denied).");

    internal static readonly Counter<long> ScaleDecisions = Meter.CreateCounter<long>(
        "autoscaler.scale_decisions", description: "Times a function revision's autoscaler changed its instance count, by revision and direction.");

    internal static readonly Histogram<double> InstanceStartDuration = Meter.CreateHistogram<double>(
        "activator.instance_start_duration", unit: "ms", description: "From launching a function instance to it taking requests.");

    internal static readonly Counter<long> ActivatorRejected = Meter.CreateCounter<long>(
        "activator.requests_rejected", description: "Requests the activator answered with 503: queue full or no instance in time.");

    internal static readonly Counter<long> EventsReceived = Meter.CreateCounter<long>(
        "broker.events_received", description: "CloudEvents a broker accepted, by broker and event type.");

    internal static readonly Counter<long> EventDeliveries = Meter.CreateCounter<long>(
        "broker.deliveries", description: "Event deliveries finished, by broker, trigger and result (Delivered, DeadLettered, Dropped).");

    /// <summary>Span and metric attribute names.</summary>
    public static class Attributes
    {
        /// <summary><c>source</c> (the caller's proxy) or <c>destination</c> (the callee's proxy), as in Istio.</summary>
        public const string Reporter = "reporter";

        /// <summary>The calling workload.</summary>
        public const string SourceWorkload = "source_workload";

        /// <summary>The workload that served the request.</summary>
        public const string DestinationWorkload = "destination_workload";

        /// <summary>The mesh service called.</summary>
        public const string DestinationService = "destination_service_name";

        /// <summary>The <c>version</c> label of the workload that served the request.</summary>
        public const string DestinationVersion = "destination_version";

        /// <summary>The endpoint (workload/replica) the request went to.</summary>
        public const string UpstreamEndpoint = "upstream_endpoint";

        /// <summary>The HTTP status code returned.</summary>
        public const string ResponseCode = "response_code";

        /// <summary>Envoy's response flags, <c>-</c> when none.</summary>
        public const string ResponseFlags = "response_flags";

        /// <summary>Istio's <c>source_workload_namespace</c>.</summary>
        public const string SourceWorkloadNamespace = "source_workload_namespace";

        /// <summary>Istio's <c>destination_workload_namespace</c>.</summary>
        public const string DestinationWorkloadNamespace = "destination_workload_namespace";

        /// <summary>Istio's <c>destination_service_namespace</c> (the exported alert rules filter on it).</summary>
        public const string DestinationServiceNamespace = "destination_service_namespace";

        /// <summary>Istio's <c>request_protocol</c>: <c>http</c> or <c>grpc</c>.</summary>
        public const string RequestProtocol = "request_protocol";

        /// <summary>Istio's <c>grpc_response_status</c>: the call's gRPC status code, empty for other requests.</summary>
        public const string GrpcResponseStatus = "grpc_response_status";

        /// <summary>The caller's principal (its SPIFFE ID without <c>spiffe://</c>), when it came over mTLS.</summary>
        public const string SourcePrincipal = "source_principal";

        /// <summary><c>mutual_tls</c> or <c>none</c>, as Istio's label says.</summary>
        public const string ConnectionSecurityPolicy = "connection_security_policy";

        /// <summary>The route that matched.</summary>
        public const string Route = "route_name";

        /// <summary>The cluster (service and subset) the route chose, in Envoy's naming.</summary>
        public const string UpstreamCluster = "upstream_cluster";

        /// <summary>How many tries were sent upstream.</summary>
        public const string Attempts = "attempts";

        /// <summary>The listener that took the request.</summary>
        public const string Listener = "listener";

        /// <summary>For a function, how the activator placed the request: <c>warm</c>, <c>queued</c> or <c>cold-start</c>.</summary>
        public const string Activation = "activation";

        /// <summary>The request id (Envoy's span tag name).</summary>
        public const string RequestId = "guid:x-request-id";
    }
}
