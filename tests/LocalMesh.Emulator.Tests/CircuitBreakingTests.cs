using System.Net;
using LocalMesh.Emulator.CircuitBreaking;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;
using static LocalMesh.Emulator.Tests.MeshHarness;

namespace LocalMesh.Emulator.Tests;

/// <summary>DestinationRule <c>connectionPool</c>: limits per upstream host, overflow as 503 UO.</summary>
public sealed class CircuitBreakingTests(ITestOutputHelper output)
{
    private static ConnectionPoolSettings Limits(int connections, int pending, int? requests = null, int? perConnection = null, int? retries = null) => new()
    {
        Tcp = new TcpSettings { MaxConnections = connections },
        Http = new HttpSettings { Http1MaxPendingRequests = pending, Http2MaxRequests = requests, MaxRequestsPerConnection = perConnection, MaxRetries = retries },
    };

    private static Cluster ClusterWith(ConnectionPoolSettings pool) =>
        new("reviews", 80, null, [], new TrafficPolicy { ConnectionPool = pool });

    private static readonly UpstreamEndpoint Endpoint = new("reviews-v1", 0, System.Collections.Immutable.ImmutableDictionary<string, string>.Empty, new Uri("http://127.0.0.1:1"));

    [Fact]
    public async Task OneConnectionAndOnePendingRequestAdmitOneAtOnceQueueOneAndRefuseTheThird()
    {
        var breakers = new CircuitBreakers();
        var cluster = ClusterWith(Limits(connections: 1, pending: 1));

        var first = await breakers.AdmitAsync("productpage", cluster, Endpoint, default);
        first!.Connected();
        var second = breakers.AdmitAsync("productpage", cluster, Endpoint, default);
        var third = await breakers.AdmitAsync("productpage", cluster, Endpoint, default);

        Assert.NotNull(first);
        Assert.False(second.IsCompleted);
        Assert.Null(third);
        first.Dispose();
        Assert.NotNull(await second.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task ARequestWhoseConnectionIsStillBeingEstablishedCountsAsPending()
    {
        var breakers = new CircuitBreakers();
        var cluster = ClusterWith(Limits(connections: 1, pending: 1));

        using var connecting = await breakers.AdmitAsync("productpage", cluster, Endpoint, default);

        Assert.Null(await breakers.AdmitAsync("productpage", cluster, Endpoint, default));
        connecting!.Connected();
        var queued = breakers.AdmitAsync("productpage", cluster, Endpoint, default);
        Assert.False(queued.IsCompleted);
    }

    [Fact]
    public async Task RequestsInFlightAreBoundedByHttp2MaxRequests()
    {
        var breakers = new CircuitBreakers();
        var cluster = ClusterWith(Limits(connections: 10, pending: 10, requests: 2));

        using var one = await breakers.AdmitAsync("productpage", cluster, Endpoint, default);
        using var two = await breakers.AdmitAsync("productpage", cluster, Endpoint, default);

        Assert.Null(await breakers.AdmitAsync("productpage", cluster, Endpoint, default));
    }

    [Fact]
    public async Task EachCallingSidecarHasItsOwnLimits()
    {
        var breakers = new CircuitBreakers();
        var cluster = ClusterWith(Limits(connections: 1, pending: 0));

        using var fromProductpage = await breakers.AdmitAsync("productpage", cluster, Endpoint, default);

        Assert.NotNull(await breakers.AdmitAsync("reviews-v2", cluster, Endpoint, default));
    }

    [Fact]
    public void MaxRetriesBoundsTheRetriesOutstandingAtOnce()
    {
        var breakers = new CircuitBreakers();
        var cluster = ClusterWith(Limits(connections: 10, pending: 10, retries: 1));

        Assert.True(breakers.TryBeginRetry("productpage", cluster));
        Assert.False(breakers.TryBeginRetry("productpage", cluster));
        breakers.EndRetry("productpage", cluster);
        Assert.True(breakers.TryBeginRetry("productpage", cluster));
    }

    [Fact]
    public async Task OverflowIs503WithXEnvoyOverloadedAndFlagUO()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var mesh = await StartAsync(
            [new HttpRoute { Route = [To("v1")] }],
            VersionSubsets with { TrafficPolicy = new TrafficPolicy { ConnectionPool = Limits(connections: 1, pending: 1) } },
            behaviour: _ => async context => { await gate.Task; await context.Response.WriteAsync("ok"); });
        using var spans = new SpanCollector();

        var held = mesh.Client.GetAsync(mesh.Reviews);
        await Eventually.TrueAsync(() => mesh.Backends["v1"].Received.Count == 1, TimeSpan.FromSeconds(5));
        var queued = mesh.Client.GetAsync(mesh.Reviews);
        var requestId = Guid.NewGuid().ToString();
        using var third = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "x-request-id", requestId } } };
        using var overflow = await SendWhenQueuedAsync(mesh, third, queued);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, overflow.StatusCode);
        Assert.Equal("true", overflow.Headers.GetValues("x-envoy-overloaded").Single());
        Assert.Equal("UO", Assert.Single(await spans.ForRequestAsync(requestId, 1)).GetTagItem(MeshTelemetry.Attributes.ResponseFlags));
        gate.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await held).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        Assert.Equal(2, mesh.Backends["v1"].Received.Count);
    }

    [Theory]
    [InlineData(2, 20)]
    [InlineData(3, 30)]
    public async Task IstiosCircuitBreakingTaskEveryRequestIsAnsweredAndEveryRefusalIsAnOverflow(int clients, int requests)
    {
        await using var mesh = await StartAsync(
            [new HttpRoute { Route = [To("v1")] }],
            VersionSubsets with { TrafficPolicy = new TrafficPolicy { ConnectionPool = Limits(connections: 1, pending: 1, perConnection: 1) } },
            behaviour: _ => async context => { await Task.Delay(2); await context.Response.WriteAsync("ok"); });

        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            using var client = new HttpClient();
            var statuses = new List<(HttpStatusCode Status, bool Overloaded)>();
            for (var i = 0; i < requests / clients; i++)
            {
                using var response = await client.GetAsync(mesh.Reviews);
                statuses.Add((response.StatusCode, response.Headers.Contains("x-envoy-overloaded")));
            }

            return statuses;
        }));

        var all = results.SelectMany(r => r).ToList();
        output.WriteLine($"{clients} clients, {requests} requests: {all.Count(r => r.Status == HttpStatusCode.OK)} × 200, {all.Count(r => r.Status == HttpStatusCode.ServiceUnavailable)} × 503");
        Assert.Equal(requests, all.Count);
        Assert.All(all.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Equal((HttpStatusCode.ServiceUnavailable, true), r));
        Assert.Contains(all, r => r.Status == HttpStatusCode.OK);
        if (clients > 2)
        {
            // Three callers against one connection and one pending place must overflow.
            Assert.Contains(all, r => r.Overloaded);
        }
    }

    private static async Task<HttpResponseMessage> SendWhenQueuedAsync(MeshHarness mesh, HttpRequestMessage request, Task<HttpResponseMessage> queued)
    {
        // The next request overflows only once the one before waits in the circuit breaker's queue.
        var breakers = mesh.Server.CircuitBreakers;
        await Eventually.TrueAsync(() => breakers.PendingRequests == 1 || queued.IsCompleted, TimeSpan.FromSeconds(5), "the second request waits for a connection");
        Assert.False(queued.IsCompleted, "the second request was answered instead of waiting for a connection");
        return await mesh.Client.SendAsync(request);
    }
}
