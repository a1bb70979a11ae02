using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>The order of the stages every request goes through. This is the only place it is written.</summary>
internal static class MeshPipeline
{
    public static void Build(IApplicationBuilder app)
    {
        app.UseMiddleware<ListenerStage>();       // which listener, which snapshot, who is calling
        app.UseMiddleware<RequestIdStage>();      // x-request-id
        app.UseMiddleware<TelemetryStage>();      // span and istio_requests_total
        app.UseMiddleware<RoutingStage>();        // where the request may go
        app.UseMiddleware<LoadBalancingStage>();  // which endpoint
        var forwarding = app.ApplicationServices.GetRequiredService<ForwardingStage>();
        app.Run(forwarding.InvokeAsync);          // send it
    }
}
