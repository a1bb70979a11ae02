using LocalMesh.Emulator.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// The chain of stages each kind of listener runs, as Envoy gives each listener its own filter
/// chain. This is the only place the stages and their order are written; a stage does not ask
/// which listener it is in. (A TCP service port's listeners run the TCP proxy instead, before any
/// HTTP: see <see cref="Tcp.TcpProxy"/>.)
/// </summary>
internal static class MeshPipeline
{
    public static void Build(IApplicationBuilder app)
    {
        app.UseMiddleware<ListenerStage>();   // which listener, which snapshot, who is calling
        app.UseMiddleware<RequestIdStage>();  // x-request-id
        app.UseMiddleware<TelemetryStage>();  // span, istio_requests_total, access log
        app.UseMiddleware<BodyLimitStage>();  // 413 for a declared body over the listener's limit
        var router = app.ApplicationServices.GetRequiredService<RouterStage>();

        // An inbound sidecar: its workload's authorization policies, then its application.
        app.MapWhen(Is(ListenerKind.Inbound), inbound =>
        {
            inbound.UseMiddleware<AuthorizationStage>(); // AuthorizationPolicy (RBAC) on the peer's proven identity
            inbound.UseMiddleware<InboundStage>();       // the application behind the sidecar, x-forwarded-client-cert
            inbound.Run(router.SendToApplicationAsync);  // to the application (through the activator for a function)
        });

        // A broker's ingress: CloudEvents in; its deliveries leave through the broker's outbound sidecars.
        var brokerIngress = app.ApplicationServices.GetRequiredService<BrokerStage>();
        app.MapWhen(Is(ListenerKind.Broker), broker => broker.Run(brokerIngress.InvokeAsync));

        // An outbound sidecar, a service's address, the ingress gateway and the egress proxy: Envoy's router for a destination service.
        app.UseWhen(Is(ListenerKind.Ingress), ingress => ingress.UseMiddleware<StartingStage>()); // 503 until every workload was ready once
        app.UseWhen(Is(ListenerKind.Egress), egress => egress.UseMiddleware<EgressStage>());      // the ServiceEntry host the request names, passthrough or 502
        app.UseMiddleware<RouteMatchStage>();    // route match, redirect, rewrite, headers, weighted destination
        app.UseMiddleware<FaultStage>();      // delay, then abort
        app.UseMiddleware<MirrorStage>();     // a copy to the mirror
        app.Run(router.InvokeAsync);          // load balancing, timeout, retries, forwarding
    }

    private static Func<HttpContext, bool> Is(ListenerKind kind) => context => MeshRequest.Get(context).Listener.Kind == kind;
}
