using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using LocalMesh.Emulator.CircuitBreaking;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Listeners;
using LocalMesh.Emulator.LoadBalancing;
using LocalMesh.Emulator.Outliers;
using LocalMesh.Emulator.Randomness;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.Sockets;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Connections;

namespace LocalMesh.Emulator.Tcp;

/// <summary>
/// Envoy's TCP proxy, the whole chain of a listener for a TCP service port (opaque bytes: no HTTP
/// stage applies). Outbound: the service's <c>tcp</c> routes pick a weighted destination for each
/// new connection, the load balancer an endpoint, circuit breaking limits connections per host
/// (<c>connectionPool.tcp.maxConnections</c>), a connect failure counts against the endpoint for
/// outlier detection; the connection goes on to the endpoint's inbound sidecar over mutual TLS.
/// Inbound: after PeerAuthentication (at the connection, as for HTTP), AuthorizationPolicy decides on
/// the connection's attributes alone, then bytes flow to the application. Each connection is counted
/// with Istio's TCP metrics, a span and one access-log line.
/// </summary>
internal sealed class TcpProxy
{
    private const int BufferLength = 16 * 1024;

    private readonly MeshState _state;
    private readonly PeerRegistry _peers;
    private readonly UpstreamConnector _connector;
    private readonly LoadBalancer _balancer;
    private readonly EndpointLoad _load;
    private readonly CircuitBreakers _breakers;
    private readonly OutlierDetector _outliers;
    private readonly WorkloadIdentities _identities;
    private readonly InboundAuthorization _authorization;
    private readonly IMeshRandom _random;
    private readonly TimeProvider _time;
    private readonly AccessLog _accessLog;
    private readonly MeshMetrics _metrics;

    /// <summary>The inbound connections open now, with what their authorization was decided on.</summary>
    private readonly ConcurrentDictionary<TcpSession, (ConnectionContext Connection, AuthorizationRequest Request)> _inbound = new();

    public TcpProxy(
        MeshState state, PeerRegistry peers, UpstreamConnector connector, LoadBalancer balancer, EndpointLoad load, CircuitBreakers breakers,
        OutlierDetector outliers, WorkloadIdentities identities, InboundAuthorization authorization, IMeshRandom random, TimeProvider time, AccessLog accessLog, MeshMetrics metrics)
    {
        _authorization = authorization;
        _metrics = metrics;
        _state = state;
        _peers = peers;
        _connector = connector;
        _balancer = balancer;
        _load = load;
        _breakers = breakers;
        _outliers = outliers;
        _identities = identities;
        _random = random;
        _time = time;
        _accessLog = accessLog;
        // A policy change drains the connections its new rules deny, as Envoy drains the listener's old filter chain.
        state.Changed += Reauthorize;
    }

    public Task OnConnectionAsync(ConnectionContext connection, ListenerConfig listener) => ProxyAsync(connection, listener, tunnel: null);

    /// <summary>
    /// An egress listener's connection (a workload's HTTP proxy): a <c>CONNECT host:port</c> request
    /// — HTTPS, or any protocol, through the proxy — becomes a tunnel routed as TCP to the
    /// ServiceEntry host it names (or passed through, or refused 502 under <c>REGISTRY_ONLY</c>);
    /// the caller's TLS goes through it end to end. Anything else is HTTP, for the pipeline.
    /// </summary>
    public async Task OnEgressConnectionAsync(ConnectionContext connection, ListenerConfig listener, ConnectionDelegate next)
    {
        if (await ConnectRequest.ReadAsync(connection.Transport.Input, connection.ConnectionClosed) is not { } tunnel)
        {
            await next(connection);
            return;
        }

        await ProxyAsync(connection, listener, tunnel);
    }

    private async Task ProxyAsync(ConnectionContext connection, ListenerConfig listener, ConnectRequest? tunnel)
    {
        var snapshot = _state.Snapshot;
        var peer = DownstreamPeer.Of(listener, snapshot, _peers, connection.Features, (connection.RemoteEndPoint as IPEndPoint)?.Port ?? 0);
        var session = new TcpSession(snapshot, listener, peer, _time.GetUtcNow(), _time.GetTimestamp(), connection, _metrics);
        using var activity = MeshTelemetry.ActivitySource.StartActivity(
            listener.Kind == ListenerKind.Inbound ? ActivityKind.Server : ActivityKind.Client,
            parentContext: default,
            name: listener.Kind == ListenerKind.Inbound ? $"{listener.Workload} (inbound, tcp)" : $"{listener.Workload} → {tunnel?.Host ?? listener.Destination} (tcp)");
        try
        {
            var upstream = listener.Kind == ListenerKind.Inbound ? await ConnectInboundAsync(session, connection)
                : tunnel is not null ? await ConnectTunnelAsync(session, connection, tunnel)
                : await ConnectOutboundAsync(session, connection);
            if (upstream is not { } opened)
            {
                return;
            }

            await using (opened.Stream)
            using (opened.Socket)
            {
                session.Opened(_time);
                try
                {
                    if (opened.Stream is { } stream)
                    {
                        await PumpAsync(session, connection, stream, opened.Socket, _time);
                    }
                    else
                    {
                        await RelayAsync(session, (OwnSocketConnection)connection, opened.Socket, _time);
                    }
                }
                finally
                {
                    opened.Closed?.Invoke();
                    opened.Lease?.Dispose();
                }
            }
        }
        finally
        {
            _inbound.TryRemove(session, out _);
            session.Finish(activity, _time.GetElapsedTime(session.Started), _accessLog);
        }
    }

    /// <summary>The inbound sidecar: the peer as mutual TLS proved it, the workload's authorization policies, then the application.</summary>
    private async Task<Upstream?> ConnectInboundAsync(TcpSession session, ConnectionContext connection)
    {
        var snapshot = session.Snapshot;
        var listener = session.Listener;
        var workload = snapshot.Workloads[listener.Workload!];
        session.DestinationWorkload = workload.Name;
        session.DestinationService = workload.Service;
        var principal = session.SourceIdentity is { } peer ? SpiffeId.Principal(peer) : null;
        var authorization = new AuthorizationRequest(principal, (connection.RemoteEndPoint as IPEndPoint)?.Address, snapshot.InboundSecurity[listener.Name].Port, Request: null);
        if (!Authorize(session, snapshot, authorization))
        {
            // Envoy's network RBAC filter closes the connection; the caller sees it end.
            return null;
        }

        _inbound[session] = (connection, authorization);

        if (!snapshot.Applications.TryGetValue(listener.Name, out var application))
        {
            session.Flags |= ResponseFlags.NoHealthyUpstream;
            return null;
        }

        session.UpstreamHost = application.Authority;
        session.UpstreamCluster = $"inbound|{workload.Name}|";
        return await ConnectAsync(session, new UpstreamTarget(null, application), lease: null);
    }

    /// <summary>The workload's authorization policies on the connection's attributes (<see cref="InboundAuthorization"/>, as for HTTP); a denial is noted on the session.</summary>
    private bool Authorize(TcpSession session, MeshSnapshot snapshot, AuthorizationRequest request)
    {
        if (!snapshot.InboundSecurity.TryGetValue(session.Listener.Name, out var security)
            || _authorization.Deny(security.Policies, session.Listener.Workload, request) is not { } policy)
        {
            return true;
        }

        session.DeniedBy = policy;
        return false;
    }

    /// <summary>Closes the open inbound connections that the new snapshot's policies deny.</summary>
    private void Reauthorize(MeshSnapshot snapshot)
    {
        foreach (var (session, (connection, request)) in _inbound)
        {
            if (!Authorize(session, snapshot, request))
            {
                connection.Abort(new ConnectionAbortedException($"denied by {session.DeniedBy} after a policy change"));
            }
        }
    }

    /// <summary>The outbound sidecar (or a service's address): route, destination, endpoint, circuit breaker, then the endpoint's inbound sidecar.</summary>
    private async Task<Upstream?> ConnectOutboundAsync(TcpSession session, ConnectionContext connection)
    {
        var snapshot = session.Snapshot;
        var listener = session.Listener;
        var source = session.Source;
        var service = listener.Destination!;
        session.DestinationService = service;
        var sourceLabels = snapshot.Workloads.TryGetValue(source, out var caller) ? caller.Labels : NoLabels.Instance;
        if (!snapshot.TcpRoutes.TryGetValue(service, out var routes)
            || RouteCompiler.MatchTcp(routes, snapshot.Clusters[service].Port, sourceLabels) is not { } route)
        {
            session.Flags |= ResponseFlags.NoRouteFound;
            return null;
        }

        session.Route = route.Name;
        var picked = route.PickDestination(_random)?.Cluster;
        if (picked is { Exists: false })
        {
            session.Flags |= ResponseFlags.NoClusterFound;
            return null;
        }

        return await ConnectToClusterAsync(session, source, picked,
            (endpoint, chosen, connected) => new UpstreamTarget(source, endpoint.Address, _identities.ForCall(session.SourceIdentity, endpoint), chosen.ConnectionPool, connected));
    }

    /// <summary>
    /// A tunnel from the egress listener: the ServiceEntry host and port it names, routed by the
    /// host's <c>tcp</c> routes; a host no ServiceEntry has goes as named under <c>ALLOW_ANY</c> and
    /// is refused under <c>REGISTRY_ONLY</c>. The caller is told (200, or 502 / 503) before any byte flows.
    /// </summary>
    private async Task<Upstream?> ConnectTunnelAsync(TcpSession session, ConnectionContext connection, ConnectRequest tunnel)
    {
        var snapshot = session.Snapshot;
        var source = session.Source;
        Cluster? cluster;
        if (snapshot.Egress.Find(tunnel.Host, tunnel.Port) is { } entry)
        {
            session.DestinationService = entry.Host;
            var sourceLabels = snapshot.Workloads.TryGetValue(source, out var caller) ? caller.Labels : NoLabels.Instance;
            var route = RouteCompiler.MatchTcp(entry.Tunnel, tunnel.Port, sourceLabels);
            session.Route = route?.Name;
            cluster = route?.PickDestination(_random)?.Cluster;
            if (route is null || cluster is { Exists: false })
            {
                session.Flags |= route is null ? ResponseFlags.NoRouteFound : ResponseFlags.NoClusterFound;
                await ConnectRequest.AnswerAsync(connection.Transport.Output, 503);
                return null;
            }
        }
        else if (snapshot.Egress.Mode == OutboundTrafficPolicyMode.RegistryOnly)
        {
            session.DestinationService = Cluster.BlackHoleName;
            await ConnectRequest.AnswerAsync(connection.Transport.Output, 502);
            return null;
        }
        else
        {
            session.DestinationService = Cluster.PassthroughName;
            cluster = Cluster.Passthrough(tunnel.Port);
        }

        if (cluster is { IsOriginalDestination: true })
        {
            cluster = cluster.ToOriginalDestination(tunnel.Host, cluster.Port == 0 ? tunnel.Port : cluster.Port);
        }

        // The caller's own TLS (HTTPS) runs through the tunnel: the sidecar originates none.
        var upstream = await ConnectToClusterAsync(session, source, cluster,
            (endpoint, chosen, connected) => new UpstreamTarget(source, new UriBuilder(Uri.UriSchemeHttp, endpoint.Address.Host, endpoint.Address.Port).Uri, null, chosen.ConnectionPool, connected));
        await ConnectRequest.AnswerAsync(connection.Transport.Output, upstream is null ? 503 : 200);
        return upstream;
    }

    /// <summary>
    /// An endpoint of <paramref name="cluster"/> by its load balancer, a place under its circuit
    /// breaker (never waiting: a TCP connection over <c>connectionPool.tcp.maxConnections</c> is
    /// refused, UO, as Envoy's TCP proxy closes it), then the connection; a connect failure counts
    /// against the endpoint for outlier detection (Envoy's local-origin failures, not split by default).
    /// </summary>
    private async Task<Upstream?> ConnectToClusterAsync(TcpSession session, string source, Cluster? cluster, Func<UpstreamEndpoint, Cluster, Action, UpstreamTarget> target)
    {
        if (cluster is null || _balancer.Pick(cluster, context: null, [], _outliers.Available(source, cluster)) is not { } endpoint)
        {
            session.Flags |= ResponseFlags.NoHealthyUpstream;
            return null;
        }

        session.UpstreamCluster = cluster.Name;
        session.UpstreamHost = endpoint.Address.Authority;
        session.IdleTimeout = cluster.ConnectionPool?.Tcp?.IdleTimeout ?? TcpSettings.DefaultIdleTimeout;
        session.DestinationWorkload = endpoint.Workload;
        var place = await _breakers.AdmitAsync(source, cluster, endpoint, CancellationToken.None);
        if (place is null)
        {
            _metrics.Overflows.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.UpstreamCluster, cluster.Name));
            session.Flags |= ResponseFlags.UpstreamOverflow;
            return null;
        }

        var upstream = await ConnectAsync(session, target(endpoint, cluster, place.Connected), new Lease(place, _load.Begin(endpoint)));
        _outliers.Report(source, cluster, endpoint, upstream is null ? 503 : 200);
        return upstream;
    }

    /// <summary>
    /// Connects within the destination's connect timeout. (Kestrel's <c>ConnectionClosed</c> fires
    /// when the caller merely ends its sending, which a TCP proxy must carry on as a half-close: it
    /// cancels nothing here.)
    /// </summary>
    private async Task<Upstream?> ConnectAsync(TcpSession session, UpstreamTarget target, IDisposable? lease)
    {
        try
        {
            var endPoint = UpstreamConnector.EndPointOf(target.Address);
            session.MutualTls = target.MutualTls is not null;
            if (session.Downstream is OwnSocketConnection { IsUntouched: true } && await _connector.ConnectOnLoopbackAsync(target, endPoint) is var (plain, closedPlain))
            {
                // Plaintext both ways, both sockets the mesh's own: an event loop relays them.
                return new Upstream(plain, Stream: null, closedPlain, lease);
            }

            var (socket, stream, closed) = await _connector.ConnectAsync(target, endPoint, protocol: null, CancellationToken.None);
            return new Upstream(socket, stream, closed, lease);
        }
        catch (HttpRequestException)
        {
            lease?.Dispose();
            session.Flags |= ResponseFlags.UpstreamConnectionFailure;
            return null;
        }
    }

    /// <summary>
    /// Bytes both ways until the upstream is done: the caller's end of sending is passed on as a
    /// half-close (the upstream may still answer); the upstream closing, either side failing, or no
    /// byte either way for the session's idle timeout (Envoy's TCP proxy <c>idle_timeout</c>) ends
    /// the connection.
    /// </summary>
    private static async Task PumpAsync(TcpSession session, ConnectionContext connection, Stream upstream, Socket socket, TimeProvider time)
    {
        // Not linked to ConnectionClosed, which fires at the caller's half-close: the caller's reads end by themselves.
        using var done = new CancellationTokenSource();
        var downstream = connection is OwnSocketConnection own ? own.Stream : new DuplexPipeStream(connection.Transport);
        var lastActive = time.GetTimestamp();
        void Active() => Interlocked.Exchange(ref lastActive, time.GetTimestamp());
        using var idle = IdleTimer(session, time, () => Interlocked.Read(ref lastActive), () =>
        {
            try
            {
                done.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The connection ended as the timer fired.
            }
        });

        // Each way, a buffer at a time; the stream a connection is (its socket's, the TLS over it, or Kestrel's pipes).
        async Task CopyAsync(Stream from, Stream to, Action<long> moved)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferLength);
            try
            {
                int read;
                while ((read = await from.ReadAsync(buffer, done.Token)) > 0)
                {
                    Active();
                    await to.WriteAsync(buffer.AsMemory(0, read), done.Token);
                    moved(read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        async Task CallerToUpstreamAsync()
        {
            await CopyAsync(downstream, upstream, session.Received);
            if (upstream is SslStream tls)
            {
                await tls.ShutdownAsync();
            }

            socket.Shutdown(SocketShutdown.Send);
        }

        Task UpstreamToCallerAsync() => CopyAsync(upstream, downstream, session.Sent);

        var callerToUpstream = CallerToUpstreamAsync();
        var upstreamToCaller = UpstreamToCallerAsync();
        var first = await Task.WhenAny(callerToUpstream, upstreamToCaller);
        if (first == upstreamToCaller || first.IsFaulted)
        {
            await done.CancelAsync();
        }

        try
        {
            await Task.WhenAll(callerToUpstream, upstreamToCaller);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ConnectionResetException or ObjectDisposedException)
        {
            // One side went away: the connection ends, which is all a TCP proxy can say.
            if (upstreamToCaller.IsFaulted)
            {
                session.Flags |= ResponseFlags.UpstreamConnectionTermination;
            }
        }
    }

    /// <summary>
    /// <see cref="PumpAsync"/>'s rules on an event loop (<see cref="SocketRelay"/>), for a plaintext
    /// connection between two sockets the mesh owns: no pipe, stream or thread-pool hand-off per read.
    /// </summary>
    private static async Task RelayAsync(TcpSession session, OwnSocketConnection connection, Socket upstream, TimeProvider time)
    {
        var relay = SocketRelay.Start(connection.Socket, upstream, session.Received, session.Sent, time);
        connection.Relaying(relay);
        using var idle = IdleTimer(session, time, () => relay.LastActive, relay.Abort);
        if (await relay.Ended)
        {
            session.Flags |= ResponseFlags.UpstreamConnectionTermination;
        }
    }

    /// <summary>
    /// Envoy's TCP proxy <c>idle_timeout</c>: once no byte has moved either way for the session's idle
    /// timeout (<paramref name="lastActive"/>, a timestamp of <paramref name="time"/>), <paramref name="end"/>; null without one.
    /// </summary>
    private static ITimer? IdleTimer(TcpSession session, TimeProvider time, Func<long> lastActive, Action end)
    {
        if (session.IdleTimeout <= TimeSpan.Zero)
        {
            return null;
        }

        ITimer? timer = null;
        timer = time.CreateTimer(_ =>
        {
            var quiet = time.GetElapsedTime(lastActive());
            if (quiet < session.IdleTimeout)
            {
                timer?.Change(session.IdleTimeout - quiet, Timeout.InfiniteTimeSpan);
                return;
            }

            session.IdleTimedOut = true;
            end();
        }, null, session.IdleTimeout, Timeout.InfiniteTimeSpan);
        return timer;
    }

    /// <summary>The upstream connection: a stream to pump, or (no stream) a plaintext socket for an event loop.</summary>
    private sealed record Upstream(Socket Socket, Stream? Stream, Action? Closed, IDisposable? Lease);

    private sealed class Lease(IDisposable place, IDisposable load) : IDisposable
    {
        public void Dispose()
        {
            load.Dispose();
            place.Dispose();
        }
    }
}
