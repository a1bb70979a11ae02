using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Forwarding;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// Last stage: sends the request to the chosen upstream with the calling sidecar's client and
/// streams the response back; turns forwarding errors into Envoy's replies and flags.
/// </summary>
internal sealed class ForwardingStage(IHttpForwarder forwarder, UpstreamClients clients)
{
    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromMinutes(10) };

    public async Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        // Outbound hops carry the caller's identity on their connections; the inbound hop to the
        // application needs none.
        var client = clients.For(request.Listener.Kind == ListenerKind.Inbound ? null : request.SourceWorkload);
        var error = await forwarder.SendAsync(context, request.Upstream!.ToString(), client, RequestConfig, MeshTransformer.Instance);
        switch (error)
        {
            case ForwarderError.None:
                return;
            case ForwarderError.Request when !context.RequestAborted.IsCancellationRequested:
                await Responses.UpstreamConnectFailure(context, request);
                return;
            case ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled:
                request.Flags |= Telemetry.ResponseFlags.DownstreamConnectionTermination;
                return;
            default:
                await Responses.UpstreamReset(context, request);
                return;
        }
    }
}
