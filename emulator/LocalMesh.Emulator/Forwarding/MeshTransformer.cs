using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// Copies the request as YARP does by default, then replaces the trace context with the current
/// hop's span so the next hop becomes its child.
/// </summary>
internal sealed class MeshTransformer : HttpTransformer
{
    public static readonly MeshTransformer Instance = new();

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

        var propagator = DistributedContextPropagator.Current;
        foreach (var field in propagator.Fields)
        {
            proxyRequest.Headers.Remove(field);
        }

        if (Activity.Current is { } activity)
        {
            propagator.Inject(activity, proxyRequest.Headers, static (carrier, name, value) =>
                ((System.Net.Http.Headers.HttpRequestHeaders)carrier!).TryAddWithoutValidation(name, value));
        }
    }
}
