using System.Diagnostics;
using LocalMesh.Emulator.Routing;

namespace LocalMesh.Emulator.Telemetry;

/// <summary>
/// The mesh's spans and metrics. Metric and label names follow Istio's standard metrics so that
/// dashboards and alerts written for a cluster read the same locally.
/// </summary>
internal static class MeshTelemetry
{
    /// <summary>The name of the mesh's <see cref="ActivitySource"/> and of each mesh's meter (<see cref="MeshMetrics"/>).</summary>
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
