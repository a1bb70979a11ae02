using LocalMesh.Emulator.CircuitBreaking;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Grpc;
using LocalMesh.Emulator.LoadBalancing;
using LocalMesh.Emulator.Outliers;
using LocalMesh.Emulator.Randomness;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.Serverless;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// The last stage, Envoy's router: for each try, pick an endpoint (avoiding those tried), send,
/// and decide by the route's retry policy whether to try again after a jittered back-off; the
/// route's timeout bounds all tries together. The inbound hop sends once to the application.
/// </summary>
internal sealed class RouterStage(
    Http1Forwarder http1, Http2Forwarder http2, LoadBalancer balancer, EndpointLoad load, CircuitBreakers breakers, OutlierDetector outliers,
    WorkloadIdentities identities, FunctionActivator functions, TimeProvider time, IMeshRandom random, MeshMetrics metrics)
{
    /// <summary>A caller may set the route timeout for one request (0 disables it).</summary>
    public const string TimeoutHeader = "x-envoy-upstream-rq-timeout-ms";

    /// <summary>An outbound sidecar's (or the gateway's) last stage: to the route's chosen cluster.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        var route = request.Route!;
        var cluster = request.Cluster!;
        if (!cluster.IsHttp2 && GrpcCommon.IsGrpc(context.Request))
        {
            await Responses.GrpcToHttp1Port(context, request, cluster.Host);
            return;
        }

        var timeout = RequestTimeout(context.Request, route);
        context.Request.Headers.Remove(TimeoutHeader);
        using var overall = new Deadline(context.RequestAborted, timeout, time);

        var retry = route.Retry;
        var forwarder = ForwarderFor(cluster.IsHttp2);
        var tried = new List<UpstreamEndpoint>();
        var retrying = false;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var endpoint = balancer.Pick(cluster, context, tried, outliers.Available(request.SourceWorkload, cluster));
                if (endpoint is null)
                {
                    await Responses.NoHealthyUpstream(context, request);
                    return;
                }

                tried.Add(endpoint);
                request.Endpoint = endpoint;
                request.Attempts = attempt;

                using var place = await breakers.AdmitAsync(request.SourceWorkload, cluster, endpoint, overall.Token);
                if (place is null)
                {
                    metrics.Overflows.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.UpstreamCluster, cluster.Name));
                    await Responses.Overflow(context, request);
                    return;
                }

                using var perTry = new Deadline(overall.Token, retry.PerTryTimeout, time);
                using var lease = load.Begin(endpoint);
                var mutualTls = identities.ForCall(request.SourceIdentity, endpoint);
                var target = new UpstreamTarget(request.SourceWorkload, endpoint.Address, mutualTls, cluster.ConnectionPool, place.Connected) { Tls = cluster.Tls, Host = request.OriginalDestination?.Host };
                var outcome = await TryAsync(forwarder, context, request, target, attempt, perTry.Token);
                if (outcome.Failure != TryFailure.Downstream && !context.RequestAborted.IsCancellationRequested)
                {
                    // Only the upstream's own answers count against it: a caller that broke its request or went away says nothing of the upstream.
                    outliers.Report(request.SourceWorkload, cluster, endpoint, outcome.Status);
                }
                if (retrying)
                {
                    breakers.EndRetry(request.SourceWorkload, cluster);
                    retrying = false;
                }

                if (context.RequestAborted.IsCancellationRequested)
                {
                    outcome.Response?.Dispose();
                    request.Flags |= ResponseFlags.DownstreamConnectionTermination;
                    return;
                }

                if (outcome.Failure == TryFailure.Downstream)
                {
                    await RespondAsync(context, request, outcome, overall.Token);
                    return;
                }

                if (overall.IsCancellationRequested)
                {
                    outcome.Response?.Dispose();
                    await Responses.UpstreamTimeout(context, request);
                    return;
                }

                // A body too large to keep, or one streamed on before it could be kept, cannot be sent again.
                var retriable = retry.IsRetriable(outcome.Status, outcome.GrpcStatus, outcome.Failure) && request.CanReplayBody(context.Request);
                if (retriable && attempt <= retry.Attempts && breakers.TryBeginRetry(request.SourceWorkload, cluster))
                {
                    retrying = true;
                    outcome.Response?.Dispose();
                    metrics.Retries.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.UpstreamCluster, cluster.Name));
                    try
                    {
                        await Task.Delay(RetryBackoff.Next(attempt, random), time, overall.Token);
                    }
                    catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
                    {
                        await Responses.UpstreamTimeout(context, request);
                        return;
                    }

                    continue;
                }

                if (retriable && retry.Attempts > 0)
                {
                    // The retries ran out, or the retry budget (connectionPool.http.maxRetries) did.
                    request.Flags |= ResponseFlags.UpstreamRetryLimitExceeded;
                }

                await RespondAsync(context, request, outcome, overall.Token);
                return;
            }
        }
        finally
        {
            if (retrying)
            {
                breakers.EndRetry(request.SourceWorkload, cluster);
            }
        }
    }

    private static TimeSpan? RequestTimeout(HttpRequest request, CompiledRoute route)
    {
        if (request.Headers.TryGetValue(TimeoutHeader, out var header) && long.TryParse(header, out var milliseconds) && milliseconds >= 0)
        {
            return milliseconds == 0 ? null : TimeSpan.FromMilliseconds(milliseconds);
        }

        return route.Timeout;
    }

    /// <summary>An inbound sidecar's last stage: to its application, or a function's instance through the activator.</summary>
    public Task SendToApplicationAsync(HttpContext context) => SendToApplicationAsync(context, MeshRequest.Get(context));

    private async Task SendToApplicationAsync(HttpContext context, MeshRequest request)
    {
        RevisionScaler.Lease? lease = null;
        if (request.Application is null)
        {
            try
            {
                // How it waits is known before it waits: a call its caller gives up on during a cold start says so (with DC).
                lease = await functions.AcquireAsync(request.Listener.Workload!, activation => request.Activation = activation, context.RequestAborted);
                request.Activation = lease.Activation;
                request.Instance = lease.Instance;
                request.Application = lease.Address;
            }
            catch (ActivationException failure)
            {
                request.Activation = failure.Failure.ToString();
                await Responses.ActivationFailed(context, request, failure);
                return;
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                request.Flags |= ResponseFlags.DownstreamConnectionTermination;
                return;
            }
        }

        using (lease)
        {
            await SendToApplicationAsync(context, request, request.Application!);
        }
    }

    private async Task SendToApplicationAsync(HttpContext context, MeshRequest request, Uri application)
    {
        // The application is spoken to in its service port's protocol.
        var http2 = request.DestinationService is { } service && request.Snapshot.Clusters.TryGetValue(service, out var cluster) && cluster.IsHttp2;
        var outcome = await TryAsync(ForwarderFor(http2), context, request, new UpstreamTarget(null, application), attempt: null, context.RequestAborted);
        if (context.RequestAborted.IsCancellationRequested)
        {
            outcome.Response?.Dispose();
            request.Flags |= ResponseFlags.DownstreamConnectionTermination;
            return;
        }

        await RespondAsync(context, request, outcome, context.RequestAborted);
    }

    private IForwarder ForwarderFor(bool isHttp2) => isHttp2 ? http2 : http1;

    private static async Task<TryOutcome> TryAsync(IForwarder forwarder, HttpContext context, MeshRequest request, UpstreamTarget target, int? attempt, CancellationToken cancellationToken)
    {
        try
        {
            var body = await request.BodyAsync(context.Request, streamUnknownLength: forwarder.StreamsUnknownLength, cancellationToken);
            var response = await forwarder.SendAsync(context, body, target, attempt, authority: null, cancellationToken);
            return new TryOutcome(response, response.StatusCode, response.GrpcStatus, TryFailure.None);
        }
        catch (DownstreamRequestException failure)
        {
            // The caller's request body could not be read: its fault, whatever the upstream did with the part it got.
            return new TryOutcome(null, null, null, TryFailure.Downstream) { DownstreamFailure = failure };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new TryOutcome(null, null, null, TryFailure.PerTryTimeout);
        }
        catch (Exception ex) when (ex is HttpProtocolException { ErrorCode: RefusedStream } or HttpRequestException { InnerException: HttpProtocolException { ErrorCode: RefusedStream } })
        {
            return new TryOutcome(null, null, null, TryFailure.RefusedStream);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return new TryOutcome(null, null, null, ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError }
                ? TryFailure.ConnectFailure
                : TryFailure.Reset)
            {
                TransportFailure = ex is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } ? ex.Message : null,
            };
        }
    }

    /// <summary>HTTP/2's <c>REFUSED_STREAM</c> error code (RFC 9113 §7).</summary>
    private const long RefusedStream = 0x7;

    private static async Task RespondAsync(HttpContext context, MeshRequest request, TryOutcome outcome, CancellationToken cancellationToken)
    {
        switch (outcome.Failure)
        {
            case TryFailure.ConnectFailure:
                await Responses.UpstreamConnectFailure(context, request, outcome.TransportFailure);
                return;
            case TryFailure.Reset:
            case TryFailure.RefusedStream:
                await Responses.UpstreamReset(context, request);
                return;
            case TryFailure.PerTryTimeout:
                await Responses.UpstreamTimeout(context, request);
                return;
            case TryFailure.Downstream:
                await Responses.DownstreamError(context, request, outcome.DownstreamFailure!);
                return;
        }

        using var response = outcome.Response!;
        try
        {
            if (await response.TryTunnelAsync(context, cancellationToken) is { } tunneled)
            {
                // A WebSocket: the request's span and metrics cover the connection, which lasts as long as both ends keep it.
                (request.BytesReceived, request.BytesSent) = tunneled;
                return;
            }

            request.UpstreamBodyLength = await response.CopyToAsync(context, cancellationToken);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The route's timeout fired while the body was streaming: Envoy resets the stream.
            request.Flags |= ResponseFlags.UpstreamRequestTimeout;
            context.Abort();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            request.Flags |= context.RequestAborted.IsCancellationRequested
                ? ResponseFlags.DownstreamConnectionTermination
                : ResponseFlags.UpstreamConnectionTermination;
            context.Abort();
        }
    }

    /// <summary>
    /// A cancellation that follows a parent token and fires after a timeout on the injected clock;
    /// without a timeout it is the parent itself, at no cost.
    /// </summary>
    private sealed class Deadline : IDisposable
    {
        private readonly CancellationToken _parent;
        private readonly CancellationTokenSource? _source;
        private readonly ITimer? _timer;

        public Deadline(CancellationToken parent, TimeSpan? timeout, TimeProvider time)
        {
            _parent = parent;
            if (timeout is { } after)
            {
                _source = CancellationTokenSource.CreateLinkedTokenSource(parent);
                _timer = time.CreateTimer(static state => Expire((CancellationTokenSource)state!), _source, after, Timeout.InfiniteTimeSpan);
            }
        }

        public CancellationToken Token => _source?.Token ?? _parent;

        /// <summary>Whether the timeout fired (or the parent was cancelled).</summary>
        public bool IsCancellationRequested => Token.IsCancellationRequested;

        public void Dispose()
        {
            _timer?.Dispose();
            _source?.Dispose();
        }

        private static void Expire(CancellationTokenSource source)
        {
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The request finished as the timer fired.
            }
        }
    }

    private readonly record struct TryOutcome(IUpstreamResponse? Response, int? Status, int? GrpcStatus, TryFailure Failure)
    {
        /// <summary>Why a TLS handshake failed, as Envoy adds it to the reply (<c>transport failure reason</c>).</summary>
        public string? TransportFailure { get; init; }

        /// <summary>How the caller's request broke, for <see cref="TryFailure.Downstream"/>.</summary>
        public DownstreamRequestException? DownstreamFailure { get; init; }
    }
}
