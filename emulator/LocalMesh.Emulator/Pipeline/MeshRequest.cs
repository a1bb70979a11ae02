using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// What the pipeline has decided about one request so far. Created by <see cref="ListenerStage"/>,
/// filled in by the later stages, read by telemetry.
/// </summary>
internal sealed class MeshRequest(MeshSnapshot snapshot, ListenerConfig listener, string sourceWorkload, string? sourceIdentity)
{
    /// <summary>Envoy's default per-connection buffer limit: larger bodies are streamed once and never retried.</summary>
    public const int BodyBufferLimit = 1024 * 1024;

    private byte[]? _body;
    private RecordingBody? _streaming;

    /// <summary>The snapshot every stage of this request reads, taken once when it arrived.</summary>
    public MeshSnapshot Snapshot { get; } = snapshot;

    public ListenerConfig Listener { get; } = listener;

    public string SourceWorkload { get; } = sourceWorkload;

    /// <summary>
    /// The caller's SPIFFE ID: on an inbound listener the one its mTLS certificate proved (null
    /// over plaintext); elsewhere the identity this sidecar presents for the caller (null for
    /// callers outside the mesh).
    /// </summary>
    public string? SourceIdentity { get; } = sourceIdentity;

    /// <summary>The service called; for inbound listeners the service of the workload.</summary>
    public string? DestinationService { get; set; }

    /// <summary>On an egress listener, the routes of the host the request named (set before routing).</summary>
    public RouteTable? RouteTable { get; set; }

    /// <summary>On an egress listener, the host and port the request named: where an original-destination cluster sends it.</summary>
    public (string Host, int Port)? OriginalDestination { get; set; }

    /// <summary>The route that matched (outbound, ingress and service listeners).</summary>
    public CompiledRoute? Route { get; set; }

    /// <summary>The cluster the route's weighted destinations chose.</summary>
    public Cluster? Cluster { get; set; }

    /// <summary>The endpoint of the latest try.</summary>
    public UpstreamEndpoint? Endpoint { get; set; }

    /// <summary>For inbound listeners, the application behind the sidecar (for a function, the instance the activator chose).</summary>
    public Uri? Application { get; set; }

    /// <summary>For a function, the instance the activator gave the request, e.g. <c>sentiment-00001-1</c>.</summary>
    public string? Instance { get; set; }

    /// <summary>For a function, how the activator placed the request (<c>warm</c>, <c>queued</c>, <c>cold-start</c>).</summary>
    public string? Activation { get; set; }

    /// <summary>Tries made upstream (1 + retries).</summary>
    public int Attempts { get; set; }

    public ResponseFlags Flags { get; set; }

    /// <summary>The authorization policy that denied the request (<c>none</c> when no ALLOW policy matched), or null.</summary>
    public string? DeniedBy { get; set; }

    /// <summary>For an upgraded connection (a WebSocket), the bytes the caller sent through it.</summary>
    public long BytesReceived { get; set; }

    /// <summary>For an upgraded connection (a WebSocket), the bytes sent back to the caller through it.</summary>
    public long BytesSent { get; set; }

    /// <summary>The length of the upstream's response body as it was copied to the caller; null when the mesh answered itself.</summary>
    public long? UpstreamBodyLength { get; set; }

    /// <summary>What the access log says of this request, once answered with <paramref name="status"/>.</summary>
    public StreamInfo StreamInfo(HttpContext context, int status, DateTimeOffset start, TimeSpan duration)
    {
        var incoming = context.Request;
        string? Header(string name) => incoming.Headers[name].ToString() is { Length: > 0 } value ? value : null;
        var inbound = Listener.Kind == ListenerKind.Inbound;
        return new StreamInfo
        {
            Listener = Listener,
            Start = start,
            Duration = duration,
            Flags = Flags,
            Method = incoming.Method,
            Path = incoming.Path.ToUriComponent() + incoming.QueryString.ToUriComponent(),
            Protocol = incoming.Protocol,
            ResponseCode = status,
            ResponseCodeDetails = Telemetry.StreamInfo.DetailsOf(Flags, DeniedBy, status),
            BytesReceived = RequestBytes(incoming),
            BytesSent = ResponseBytes(context.Response),
            ForwardedFor = Header("x-forwarded-for"),
            UserAgent = Header("user-agent"),
            RequestId = Header(RequestIdStage.Header),
            Authority = incoming.Host.Value is { Length: > 0 } host ? host : null,
            UpstreamHost = inbound ? Application?.Authority : Endpoint?.Address.Authority,
            UpstreamCluster = Cluster?.Name ?? (inbound ? $"inbound|{Listener.Workload}|" : null),
            LocalAddress = $"{context.Connection.LocalIpAddress}:{context.Connection.LocalPort}",
            RemoteAddress = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}",
            Route = Route?.Name ?? "default",
        };
    }

    /// <summary>
    /// The request's size as Envoy counts <c>bytes_received</c> (Istio's <c>istio_request_bytes</c>): its
    /// body — declared, or as read when streamed — and a WebSocket's bytes.
    /// </summary>
    public long RequestBytes(HttpRequest request) =>
        BytesReceived + (request.ContentLength ?? _body?.Length ?? _streaming?.BytesRead ?? 0);

    /// <summary>The response's size as Envoy counts <c>bytes_sent</c> (Istio's <c>istio_response_bytes</c>): the body sent to the caller, and a WebSocket's bytes.</summary>
    public long ResponseBytes(HttpResponse response) =>
        BytesSent + (UpstreamBodyLength ?? response.ContentLength ?? 0);

    /// <summary>The workload that served (or was to serve) the request.</summary>
    public string DestinationWorkload => Listener.Kind == ListenerKind.Inbound
        ? Listener.Workload!
        : Endpoint?.Workload ?? MeshTelemetry.Unknown;

    /// <summary>
    /// Whether the body can be sent more than once (to retry or mirror): one small enough to keep,
    /// or one streamed on that was kept whole as it went, or that nothing was read of yet.
    /// </summary>
    public bool CanReplayBody(HttpRequest request) => _body is not null
        || (_streaming is null ? request.ContentLength is null or <= BodyBufferLimit : !_streaming.Started);

    /// <summary>
    /// The request body for one send: the buffered body when it can be replayed, otherwise the
    /// streamed body (once); <see cref="UpstreamBody.None"/> when the request has none. With
    /// <paramref name="streamUnknownLength"/> (an HTTP/2 upstream), a body of unknown length (a gRPC
    /// call's stream of messages) goes on as it arrives, kept for a retry while it fits the buffer.
    /// </summary>
    public async ValueTask<UpstreamBody> BodyAsync(HttpRequest request, bool streamUnknownLength, CancellationToken cancellationToken)
    {
        if (!HttpProxy.HasBody(request))
        {
            return UpstreamBody.None;
        }

        if (_body is not null)
        {
            return UpstreamBody.From(_body);
        }

        if (streamUnknownLength && request.ContentLength is null)
        {
            _streaming ??= new RecordingBody(new CallerBody(request.Body), BodyBufferLimit, recorded => _body = recorded);
            return new UpstreamBody(ReadOnlyMemory<byte>.Empty, _streaming, -1);
        }

        if (!CanReplayBody(request))
        {
            return new UpstreamBody(ReadOnlyMemory<byte>.Empty, new CallerBody(request.Body), request.ContentLength!.Value);
        }

        using var buffer = new MemoryStream();
        await new CallerBody(request.Body).CopyToAsync(buffer, cancellationToken);
        _body = buffer.ToArray();
        return UpstreamBody.From(_body);
    }

    public static MeshRequest Get(HttpContext context) =>
        context.Features.Get<MeshRequest>() ?? throw new InvalidOperationException("The listener stage did not run.");
}
