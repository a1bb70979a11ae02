using LocalMesh.Emulator.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>The order of the stages every request goes through. This is the only place it is written.</summary>
internal static class MeshPipeline
{
    private static bool IsIngress(HttpContext context) => MeshRequest.Get(context).Listener.Kind == ListenerKind.Ingress;

    public static void Build(IApplicationBuilder app)
    {
        app.UseMiddleware<ListenerStage>();   // which listener, which snapshot, who is calling
        app.UseMiddleware<RequestIdStage>();  // x-request-id
        app.UseMiddleware<TelemetryStage>();  // span and istio_requests_total
        app.UseMiddleware<BodyLimitStage>();  // 413 for a declared body over the listener's limit
        app.UseWhen(IsIngress, ingress => ingress.UseMiddleware<StartingStage>()); // 503 until every workload was ready once
        app.UseMiddleware<BrokerStage>();     // a broker's ingress takes CloudEvents here
        app.UseMiddleware<AuthorizationStage>(); // inbound: AuthorizationPolicy (RBAC)
        app.UseMiddleware<RoutingStage>();    // route match, redirect, rewrite, headers, weighted destination
        app.UseMiddleware<FaultStage>();      // delay, then abort
        app.UseMiddleware<MirrorStage>();     // a copy to the mirror
        var router = app.ApplicationServices.GetRequiredService<RouterStage>();
        app.Run(router.InvokeAsync);          // load balancing, timeout, retries, forwarding
    }
}
