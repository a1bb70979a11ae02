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

    /// <summary>The request chain of each kind of listener that speaks HTTP.</summary>
    public static void Build(IApplicationBuilder app)
    {
        app.UseMiddleware<ListenerStage>();   // which listener, which snapshot, who is calling
        app.UseMiddleware<RequestIdStage>();  // x-request-id
        var router = app.ApplicationServices.GetRequiredService<RouterStage>();
        var brokerIngress = app.ApplicationServices.GetRequiredService<BrokerStage>();

        // An inbound sidecar: its workload's authorization policies, then its application.
        app.MapWhen(Is(ListenerKind.Inbound), inbound =>
        {
            Observe(inbound, TelemetryHop.Inbound);
            inbound.UseMiddleware<AuthorizationStage>(); // AuthorizationPolicy (RBAC) on the peer's proven identity
            inbound.UseMiddleware<InboundStage>();       // the application behind the sidecar, x-forwarded-client-cert
            inbound.Run(router.SendToApplicationAsync);  // to the application (through the activator for a function)
        });

        // A broker's ingress: CloudEvents in; its deliveries leave through the broker's outbound sidecars.
        app.MapWhen(Is(ListenerKind.Broker), broker =>
        {
            Observe(broker, TelemetryHop.Outbound);
            broker.Run(brokerIngress.InvokeAsync);
        });

        // The ingress gateway: 503 until every workload was ready once, then its routes.
        app.MapWhen(Is(ListenerKind.Ingress), gateway =>
        {
            Observe(gateway, TelemetryHop.Gateway);
            gateway.UseMiddleware<StartingStage>();
            Route(gateway, router);
        });

        // The egress proxy: the ServiceEntry host the request names, passthrough or 502, then that host's routes.
        app.MapWhen(Is(ListenerKind.Egress), egress =>
        {
            Observe(egress, TelemetryHop.Outbound);
            egress.UseMiddleware<EgressStage>();
            Route(egress, router);
        });

        // An outbound sidecar and a service's address: Envoy's router for a destination service.
        Observe(app, TelemetryHop.Outbound);
        Route(app, router);
    }

    /// <summary>What every HTTP hop does first: its span, metrics and access log, then the body limit.</summary>
    private static void Observe(IApplicationBuilder chain, TelemetryHop hop)
    {
        chain.UseMiddleware<TelemetryStage>(hop); // span, istio_requests_total, access log
        chain.UseMiddleware<BodyLimitStage>();    // 413 for a declared body over the listener's limit
    }

    /// <summary>The routes of a destination, to one of its endpoints.</summary>
    private static void Route(IApplicationBuilder chain, RouterStage router)
    {
        chain.UseMiddleware<RouteMatchStage>(); // route match, redirect, rewrite, headers, weighted destination
        chain.UseMiddleware<FaultStage>();      // delay, then abort
        chain.UseMiddleware<MirrorStage>();     // a copy to the mirror
        chain.Run(router.InvokeAsync);          // load balancing, timeout, retries, forwarding
    }

    private static Func<HttpContext, bool> Is(ListenerKind kind) => context => MeshRequest.Get(context).Listener.Kind == kind;
}
