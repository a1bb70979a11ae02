using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// What the pipeline has decided about one request so far. Created by <see cref="ListenerStage"/>,
/// filled in by the later stages, read by telemetry.
/// </summary>
internal sealed class MeshRequest(MeshSnapshot snapshot, ListenerConfig listener, string sourceWorkload)
{
    /// <summary>The snapshot every stage of this request reads, taken once when it arrived.</summary>
    public MeshSnapshot Snapshot { get; } = snapshot;

    public ListenerConfig Listener { get; } = listener;

    public string SourceWorkload { get; } = sourceWorkload;

    /// <summary>The service called; for inbound listeners the service of the workload.</summary>
    public string? DestinationService { get; set; }

    /// <summary>The endpoints the route's destination allows.</summary>
    public IReadOnlyList<UpstreamEndpoint> Candidates { get; set; } = [];

    /// <summary>The endpoint chosen by load balancing (outbound, ingress and service listeners).</summary>
    public UpstreamEndpoint? Endpoint { get; set; }

    /// <summary>Where the request is forwarded: an inbound sidecar, or the application behind one.</summary>
    public Uri? Upstream { get; set; }

    public ResponseFlags Flags { get; set; }

    /// <summary>The workload that served (or was to serve) the request.</summary>
    public string DestinationWorkload => Listener.Kind == ListenerKind.Inbound
        ? Listener.Workload!
        : Endpoint?.Workload ?? MeshTelemetry.Unknown;

    public static MeshRequest Get(HttpContext context) =>
        context.Features.Get<MeshRequest>() ?? throw new InvalidOperationException("The listener stage did not run.");
}
