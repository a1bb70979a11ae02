using System.Net;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// An egress listener's first step (a workload's HTTP proxy for hosts outside the mesh): the host
/// and port the request names — its absolute-form target, as a client writes it to a proxy — pick
/// a ServiceEntry host's routes, which the stages after apply as for any service. A host no
/// ServiceEntry has passes as it was sent under <c>ALLOW_ANY</c> (Envoy's <c>PassthroughCluster</c>)
/// and is answered 502 under <c>REGISTRY_ONLY</c> (its <c>BlackHoleCluster</c>).
/// </summary>
internal sealed class EgressStage(RequestDelegate next)
{
    private static readonly RouteTable Passthrough = new(Cluster.PassthroughName, 0,
    [
        new CompiledRoute(new HttpRoute(), "allow_any", [], [new WeightedCluster(Cluster.Passthrough(0), 100, new HttpRouteDestination(new Destination(Cluster.PassthroughName)))], null),
    ]);

    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        var host = context.Request.Host;
        var port = host.Port ?? 80;
        if (IsThisListener(host.Host, port, context))
        {
            // A request for the proxy itself, not through it: it names no host outside.
            return Responses.NoRoute(context, request);
        }

        request.OriginalDestination = (host.Host, port);
        if (request.Snapshot.Egress.Find(host.Host, port) is { } entry)
        {
            request.DestinationService = entry.Host;
            request.RouteTable = entry.Http;
            return next(context);
        }

        if (request.Snapshot.Egress.Mode == OutboundTrafficPolicyMode.RegistryOnly)
        {
            request.DestinationService = Cluster.BlackHoleName;
            return Responses.BlackHole(context, request);
        }

        request.DestinationService = Cluster.PassthroughName;
        request.RouteTable = Passthrough;
        return next(context);
    }

    private static bool IsThisListener(string host, int port, HttpContext context) =>
        port == context.Connection.LocalPort
        && (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address)));
}
