using System.Diagnostics;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Grpc;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;
using static LocalMesh.Emulator.Telemetry.MeshTelemetry;
using LocalMesh.Emulator.Randomness;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// One span per hop, a child of the caller's span, and one <c>istio_requests_total</c> count when
/// the response is done. The span becomes the parent the next hop sees in <c>traceparent</c>. Which
/// side of the call the chain reports is its <see cref="TelemetryHop"/>, given when the chain is
/// built (as Istio configures its stats filter's reporter per listener).
/// </summary>
internal sealed class TelemetryStage(RequestDelegate next, TelemetryHop hop, TimeProvider time, AccessLog accessLog, IMeshRandom random, MeshMetrics metrics)
{
    private readonly bool _inbound = hop == TelemetryHop.Inbound;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        var started = time.GetTimestamp();
        var startTime = time.GetUtcNow();
        if (!MeshTelemetry.ActivitySource.HasListeners())
        {
            // Nobody collects spans: no trace context to parse, no span name to build.
            await InvokeAndRecordAsync(context, request, activity: null, started, startTime);
            return;
        }

        // The parent is taken from the request, not from Activity.Current, so the span hangs off
        // the caller's span whatever the hosting layer did.
        DistributedContextPropagator.Current.ExtractTraceIdAndState(
            context.Request.Headers,
            static (carrier, name, out value, out values) =>
            {
                values = null;
                value = ((IHeaderDictionary)carrier!)[name];
            },
            out var traceParent,
            out var traceState);
        var hasParent = ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);
        // Not under whatever activity the hosting layer may have created.
        Activity.Current = null;
        if (hasParent ? !parent.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) : !Sampled(request))
        {
            // Not recorded: the caller decided so, or this hop, where the trace starts, did; every
            // later hop follows the decision in traceparent's flags, as Envoy's sampling works.
            if (!hasParent)
            {
                context.Request.Headers.TraceParent = $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-00";
            }

            await InvokeAndRecordAsync(context, request, activity: null, started, startTime);
            return;
        }

        using var activity = MeshTelemetry.ActivitySource.StartActivity(
            _inbound ? ActivityKind.Server : ActivityKind.Client,
            parent,
            name: SpanName(request));
        await InvokeAndRecordAsync(context, request, activity, started, startTime);
    }

    private async Task InvokeAndRecordAsync(HttpContext context, MeshRequest request, Activity? activity, long started, DateTimeOffset startTime)
    {
        try
        {
            await next(context);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            request.Flags |= ResponseFlags.DownstreamConnectionTermination;
        }
        finally
        {
            var elapsed = time.GetElapsedTime(started);
            if (activity is not null || metrics.Requests.Enabled || metrics.Duration.Enabled)
            {
                Record(context, request, activity, elapsed);
            }

            if (request.Snapshot.Config.AccessLog is { } encoding && accessLog.Writes(request.Listener))
            {
                accessLog.Write(request.StreamInfo(context, StatusOf(context, request), startTime, elapsed), encoding);
            }
        }
    }

    /// <summary>Whether a trace that starts here is recorded: the mesh's sampling percentage, on the injected dice.</summary>
    private bool Sampled(MeshRequest request) =>
        request.Snapshot.Config.TraceSampling >= 100 || random.NextDouble() * 100 < request.Snapshot.Config.TraceSampling;

    /// <summary>The response code as Istio reports it: a caller that went away before any response got none, 0 (flag DC).</summary>
    private static int StatusOf(HttpContext context, MeshRequest request) =>
        request.Flags.HasFlag(ResponseFlags.DownstreamConnectionTermination) && !context.Response.HasStarted ? 0 : context.Response.StatusCode;

    private string SpanName(MeshRequest request) => _inbound
        ? $"{request.SourceWorkload} → {request.Listener.Workload} (inbound)"
        : $"{request.SourceWorkload} → {request.Listener.Destination}";

    private void Record(HttpContext context, MeshRequest request, Activity? activity, TimeSpan elapsed)
    {
        var grpc = GrpcCommon.IsGrpc(context.Request);
        var tags = IstioLabels.For(
            request.Snapshot, _inbound, request.SourceWorkload, request.SourceIdentity, request.DestinationWorkload, request.DestinationService, request.Flags, grpc ? "grpc" : "http");
        var status = StatusOf(context, request);
        tags.Add(Attributes.ResponseCode, status);
        tags.Add(Attributes.GrpcResponseStatus, grpc ? GrpcCommon.StatusOf(context) : "");
        metrics.Requests.Add(1, tags);
        metrics.Duration.Record(elapsed.TotalMilliseconds, tags);
        metrics.RequestBytes.Record(request.RequestBytes(context.Request), tags);
        metrics.ResponseBytes.Record(request.ResponseBytes(context.Response), tags);

        if (activity is null)
        {
            return;
        }

        foreach (var tag in tags)
        {
            activity.SetTag(tag.Key, tag.Value);
        }

        activity.SetTag(Attributes.Listener, request.Listener.Name);
        // On a span, the principal as authorization policies name it, and only where mutual TLS proved it.
        activity.SetTag(Attributes.SourcePrincipal, _inbound && request.SourceIdentity is { } peer ? SpiffeId.Principal(peer) : null);

        activity.SetTag(Attributes.UpstreamEndpoint, request.Endpoint?.Name ?? request.Instance);
        activity.SetTag(Attributes.Route, request.Route?.Name);
        activity.SetTag(Attributes.UpstreamCluster, request.Cluster?.Name);
        if (request.Attempts > 0)
        {
            activity.SetTag(Attributes.Attempts, request.Attempts);
        }

        activity.SetTag(Attributes.Activation, request.Activation);
        if (context.Response.StatusCode == StatusCodes.Status101SwitchingProtocols)
        {
            // An upgraded connection (a WebSocket): what went through it while the span was open.
            activity.SetTag("websocket.bytes_received", request.BytesReceived);
            activity.SetTag("websocket.bytes_sent", request.BytesSent);
        }
        activity.SetTag(Attributes.RequestId, context.Request.Headers[RequestIdStage.Header].ToString());
        activity.SetTag("peer.service", request.DestinationService);
        if (hop == TelemetryHop.Gateway)
        {
            // A gateway learns its destination from the route the request took.
            activity.DisplayName = $"{request.SourceWorkload} → {request.DestinationService ?? "(no route)"}";
        }

        activity.SetTag("url.path", context.Request.Path.Value);
        if (grpc)
        {
            var path = context.Request.Path.Value ?? "";
            if (_inbound)
            {
                // OpenTelemetry's RPC attributes: the method path is /package.Service/Method.
                var slash = path.LastIndexOf('/');
                activity.SetTag("rpc.system", "grpc");
                activity.SetTag("rpc.service", slash > 0 ? path[1..slash] : path.TrimStart('/'));
                activity.SetTag("rpc.method", slash >= 0 ? path[(slash + 1)..] : "");
                activity.SetTag("rpc.grpc.status_code", GrpcCommon.StatusOf(context));
            }
            else
            {
                // Envoy's names: with OpenTelemetry's RPC attributes on a client span the dashboard
                // would title it "RPC <method> OK" and hide which hop it is.
                activity.SetTag("grpc.path", path);
                activity.SetTag("grpc.status_code", GrpcCommon.StatusOf(context));
            }
        }

        if (_inbound)
        {
            activity.SetTag("http.request.method", context.Request.Method);
            activity.SetTag("http.response.status_code", status);
        }
        else
        {
            // Istio's attribute name: with OpenTelemetry's HTTP attributes on a client span the
            // dashboard would title it "HTTP GET 200" and hide which hop it is.
            activity.SetTag("request.method", context.Request.Method);
        }
        if (status >= 500 || request.Flags != ResponseFlags.None)
        {
            activity.SetStatus(ActivityStatusCode.Error, request.Flags.ToEnvoyString());
        }
    }
}

/// <summary>Which side of a call a chain's hop is, for what its span and metrics report.</summary>
internal enum TelemetryHop
{
    /// <summary>The caller's side (an outbound sidecar, a service's address, the egress proxy, a broker's ingress): a client span, Istio's <c>reporter="source"</c>.</summary>
    Outbound,

    /// <summary>The callee's side (an inbound sidecar): a server span, <c>reporter="destination"</c>, the peer's proven principal.</summary>
    Inbound,

    /// <summary>The ingress gateway: an outbound hop whose span is named by the service the route chose.</summary>
    Gateway,
}
