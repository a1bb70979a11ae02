using System.Diagnostics;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.State;

namespace LocalMesh.Emulator.Telemetry;

/// <summary>
/// Istio's standard labels of a request or TCP connection, as its proxies put them on every
/// standard metric, so that Istio's Grafana dashboards, Kiali's queries and a team's alerts select
/// the same series locally: who called (workload, app, version, canonical service and revision,
/// principal, namespace), who answered (the same, and the service by name, namespace and host
/// name), how (protocol, mutual TLS), and what came of it (flags; for HTTP the response code and
/// gRPC status). The mesh's own spans carry them too.
/// </summary>
internal static class IstioLabels
{
    /// <summary>The cluster name Istio reports when none is configured.</summary>
    public const string DefaultCluster = "Kubernetes";

    /// <summary>Istio's canonical service and revision labels, which take precedence over <c>app</c> and <c>version</c>.</summary>
    private const string CanonicalName = "service.istio.io/canonical-name";
    private const string CanonicalRevision = "service.istio.io/canonical-revision";

    /// <summary>The labels of one request or connection.</summary>
    /// <param name="snapshot">The configuration it was handled with.</param>
    /// <param name="inbound">Reported by the destination's sidecar (<c>reporter="destination"</c>) rather than the caller's or a gateway.</param>
    /// <param name="source">The calling workload, or <c>unknown</c>.</param>
    /// <param name="sourceIdentity">The caller's SPIFFE ID: proved by mutual TLS when inbound; the one the sidecar presents otherwise.</param>
    /// <param name="destination">The workload that served (or was to serve) it, or <c>unknown</c>.</param>
    /// <param name="service">The service called, or null.</param>
    /// <param name="flags">Envoy's response flags.</param>
    /// <param name="protocol"><c>http</c>, <c>grpc</c> or <c>tcp</c>.</param>
    public static TagList For(MeshSnapshot snapshot, bool inbound, string source, string? sourceIdentity, string destination, string? service, ResponseFlags flags, string protocol)
    {
        var config = snapshot.Config;
        var caller = snapshot.Workloads.GetValueOrDefault(source);
        var callee = snapshot.Workloads.GetValueOrDefault(destination);
        var mutualTls = inbound && sourceIdentity is not null;
        var destinationIdentity = inbound && !mutualTls ? null : snapshot.WorkloadIdentities.GetValueOrDefault(destination);
        return new TagList
        {
            { MeshTelemetry.Attributes.Reporter, inbound ? "destination" : "source" },
            { MeshTelemetry.Attributes.SourceWorkload, source },
            { MeshTelemetry.Attributes.SourceWorkloadNamespace, source == MeshTelemetry.Unknown ? MeshTelemetry.Unknown : config.Namespace },
            { MeshTelemetry.Attributes.SourcePrincipal, sourceIdentity ?? MeshTelemetry.Unknown },
            { "source_app", Label(caller, "app") },
            { "source_version", Label(caller, "version") },
            { "source_canonical_service", CanonicalService(caller, source) },
            { "source_canonical_revision", CanonicalRevisionOf(caller) },
            { "source_cluster", caller is null ? MeshTelemetry.Unknown : DefaultCluster },
            { MeshTelemetry.Attributes.DestinationWorkload, destination },
            { MeshTelemetry.Attributes.DestinationWorkloadNamespace, config.Namespace },
            { "destination_principal", destinationIdentity ?? MeshTelemetry.Unknown },
            { "destination_app", Label(callee, "app") },
            { MeshTelemetry.Attributes.DestinationVersion, Label(callee, "version") },
            { "destination_canonical_service", CanonicalService(callee, destination) },
            { "destination_canonical_revision", CanonicalRevisionOf(callee) },
            { "destination_cluster", callee is null ? MeshTelemetry.Unknown : DefaultCluster },
            { "destination_service", service is null ? MeshTelemetry.Unknown : snapshot.ServiceHosts.GetValueOrDefault(service) ?? $"{service}.{config.Namespace}.svc.cluster.local" },
            { MeshTelemetry.Attributes.DestinationService, service ?? MeshTelemetry.Unknown },
            { MeshTelemetry.Attributes.DestinationServiceNamespace, config.Namespace },
            { MeshTelemetry.Attributes.RequestProtocol, protocol },
            { MeshTelemetry.Attributes.ResponseFlags, flags.ToEnvoyString() },
            { MeshTelemetry.Attributes.ConnectionSecurityPolicy, mutualTls ? "mutual_tls" : "none" },
        };
    }

    private static string Label(WorkloadConfig? workload, string label) =>
        workload?.Labels.GetValueOrDefault(label) ?? MeshTelemetry.Unknown;

    /// <summary>Istio's canonical service: the canonical-name label, else <c>app</c>, else the workload's name.</summary>
    private static string CanonicalService(WorkloadConfig? workload, string name) =>
        workload is null ? MeshTelemetry.Unknown
        : workload.Labels.GetValueOrDefault(CanonicalName) ?? workload.Labels.GetValueOrDefault("app") ?? name;

    /// <summary>Istio's canonical revision: the canonical-revision label, else <c>version</c>, else <c>latest</c>.</summary>
    private static string CanonicalRevisionOf(WorkloadConfig? workload) =>
        workload is null ? MeshTelemetry.Unknown
        : workload.Labels.GetValueOrDefault(CanonicalRevision) ?? workload.Labels.GetValueOrDefault("version") ?? "latest";
}
