using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// An inbound sidecar's destination: the application behind it (503 UH while its replica is not
/// ready; a function's instance is picked later, by the activator), and the caller's identity for
/// it in <c>x-forwarded-client-cert</c>.
/// </summary>
internal sealed class InboundStage(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        var listener = request.Listener;
        var workload = request.Snapshot.Workloads[listener.Workload!];
        request.DestinationService = workload.Service;
        // A function's instances come and go: the activator picks one in the router stage.
        if (workload.Scaling is null)
        {
            if (!request.Snapshot.Applications.TryGetValue(listener.Name, out var application))
            {
                return Responses.NoHealthyUpstream(context, request);
            }

            request.Application = application;
        }

        ForwardClientCertificate(context.Request.Headers, request);
        return next(context);
    }

    /// <summary>
    /// The application learns its caller from <c>x-forwarded-client-cert</c>, set only from the
    /// verified peer certificate; whatever a caller sent under that name is dropped.
    /// </summary>
    private static void ForwardClientCertificate(IHeaderDictionary headers, MeshRequest request)
    {
        headers.Remove(ClientCertificateHeader);
        if (request.SourceIdentity is { } peer)
        {
            var server = request.Snapshot.InboundSecurity[request.Listener.Name].SpiffeId;
            headers[ClientCertificateHeader] = $"By={server};URI={peer}";
        }
    }

    public const string ClientCertificateHeader = "x-forwarded-client-cert";
}
