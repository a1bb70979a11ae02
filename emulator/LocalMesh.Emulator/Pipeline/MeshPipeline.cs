using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Listeners;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.Tcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// The chain each kind of listener runs, as Envoy gives each listener its own filter chains: the
/// connection's (<see cref="BuildConnection"/>, Envoy's network filters) and, on an HTTP port, the
/// request's (<see cref="Build"/>, its HTTP filters). This is the only place the stages and their
/// order are written; a stage does not ask which listener it is in.
/// </summary>
internal static class MeshPipeline
{
    /// <summary>
    /// A listener's connection chain: the limit on open connections, then who may call (mutual TLS at
    /// an inbound sidecar, the caller's process at an outbound one), then the connection's protocol:
    /// on a TCP service port the TCP proxy ends the chain (the caller and RBAC as for HTTP, its own
    /// routing and telemetry); elsewhere HTTP/1.1 or HTTP/2 goes on to <see cref="Build"/>'s stages.
    /// </summary>
    public static void BuildConnection(ListenOptions listen, ListenerConfig listener, bool tcp)
    {
        Use<ListenerLimits>(listen, (limits, next) => connection => limits.OnConnectionAsync(connection, next, listener.Name));
        if (listener.Kind == ListenerKind.Inbound)
        {
            Use<MutualTlsConnectionMiddleware>(listen, (mutualTls, next) => connection => mutualTls.OnConnectionAsync(connection, next, listener.Name));
        }
        else if (listener.Kind is ListenerKind.Outbound or ListenerKind.Egress)
        {
            Use<CallerProcesses>(listen, (callers, next) => connection => callers.OnConnectionAsync(connection, next, listener.Name, listener.Workload!));
        }

        if (listener.Kind == ListenerKind.Egress)
        {
            // A workload's HTTP proxy: a CONNECT opens a tunnel (TCP); anything else is HTTP.
            Use<TcpProxy>(listen, (proxy, next) => connection => proxy.OnEgressConnectionAsync(connection, listener, next));
        }

        if (tcp)
        {
            // A TCP service port: opaque bytes, no HTTP stage runs.
            Use<TcpProxy>(listen, (proxy, _) => connection => proxy.OnConnectionAsync(connection, listener));
        }
        else
        {
            listen.Use(next => connection => HttpProtocolDetection.OnConnectionAsync(connection, next));
        }
    }

    /// <summary>Adds a connection stage whose service is taken from the app's, once Kestrel builds the chain (the app is built by then).</summary>
    private static void Use<T>(ListenOptions listen, Func<T, ConnectionDelegate, ConnectionDelegate> stage)
        where T : notnull => listen.Use(next => stage(listen.ApplicationServices.GetRequiredService<T>(), next));

    /// <summary>The request chain of the listeners that speak HTTP.</summary>
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
