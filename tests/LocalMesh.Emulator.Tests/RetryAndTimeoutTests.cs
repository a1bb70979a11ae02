using System.Net;
using System.Threading.Channels;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using static LocalMesh.Emulator.Tests.MeshHarness;

namespace LocalMesh.Emulator.Tests;

/// <summary>Retries and timeouts on real sockets, as the upstream sees them.</summary>
public sealed class RetryAndTimeoutTests
{
    private static Func<string, Func<HttpContext, Task>?> AllAnswer(int status) =>
        _ => context => { context.Response.StatusCode = status; return Task.CompletedTask; };

    private static readonly HttpRoute SpreadOverAllVersions = new() { Route = [To("v1", 1), To("v2", 1), To("v3", 1)] };

    [Fact]
    public async Task WithoutARetryPolicyA503IsTriedThreeTimesEachOnAnotherEndpoint()
    {
        // Round robin, so which endpoints the tries reach is no roll of the dice: Istio's LEAST_REQUEST
        // picks at random and its previous-hosts predicate gives up after 5 picks, so a retry may land twice.
        await using var mesh = await StartAsync(
            rule: VersionSubsets with { TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.RoundRobin } } },
            behaviour: AllAnswer(503));
        using var spans = new SpanCollector();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "x-request-id", requestId } } };

        using var response = await mesh.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var received = mesh.AllReceived.ToList();
        Assert.Equal(3, received.Count);
        Assert.Equal(["1", "2", "3"], received.Select(r => r.Headers["x-envoy-attempt-count"]).Order());
        Assert.Equal(3, mesh.Backends.Values.Count(backend => backend.Received.Count == 1));
        var span = Assert.Single(await spans.ForRequestAsync(requestId, 4), s => s.Kind == System.Diagnostics.ActivityKind.Client);
        Assert.Equal(3, span.GetTagItem(MeshTelemetry.Attributes.Attempts));
        Assert.Equal("URX", span.GetTagItem(MeshTelemetry.Attributes.ResponseFlags));
    }

    [Fact]
    public async Task TheDefaultPolicyDoesNotRetryA500()
    {
        await using var mesh = await StartAsync(behaviour: AllAnswer(500));

        Assert.Equal(HttpStatusCode.InternalServerError, (await mesh.Client.GetAsync(mesh.Reviews)).StatusCode);
        Assert.Single(mesh.AllReceived);
    }

    [Fact]
    public async Task AttemptsBoundTheTriesToOnePlusAttempts()
    {
        await using var mesh = await StartAsync(
            [SpreadOverAllVersions with { Retries = new HttpRetry { Attempts = 4, RetryOn = "5xx" } }],
            behaviour: AllAnswer(500));

        await mesh.Client.GetAsync(mesh.Reviews);

        Assert.Equal(5, mesh.AllReceived.Count());
    }

    [Fact]
    public async Task ZeroAttemptsMeansOneTry()
    {
        await using var mesh = await StartAsync([new HttpRoute { Route = [To("v1")], Retries = new HttpRetry { Attempts = 0 } }], behaviour: AllAnswer(503));

        await mesh.Client.GetAsync(mesh.Reviews);

        Assert.Single(mesh.AllReceived);
    }

    [Fact]
    public async Task ARetriedRequestBodyReachesEveryTry()
    {
        await using var mesh = await StartAsync(behaviour: _ => async context =>
        {
            await new StreamReader(context.Request.Body).ReadToEndAsync();
            context.Response.StatusCode = 503;
        });

        await mesh.Client.PostAsync(mesh.Reviews, new StringContent("five stars"));

        Assert.Equal(3, mesh.AllReceived.Count());
    }

    [Fact]
    public async Task ARouteTimeoutAnswers504UpstreamTimeout()
    {
        await using var mesh = await StartAsync(
            [new HttpRoute { Route = [To("v1")], Timeout = TimeSpan.FromMilliseconds(200) }],
            behaviour: _ => context => Task.Delay(TimeSpan.FromSeconds(20), context.RequestAborted));

        using var response = await mesh.Client.GetAsync(mesh.Reviews);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream request timeout", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheCallerMaySetTheTimeoutWithAnEnvoyHeader()
    {
        await using var mesh = await StartAsync(behaviour: _ => context => Task.Delay(TimeSpan.FromSeconds(20), context.RequestAborted));
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "x-envoy-upstream-rq-timeout-ms", "150" } } };

        using var response = await mesh.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
    }

    [Fact]
    public async Task ACallerThatGivesUpIsReportedWithCode0AndFlagDC()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var mesh = await StartAsync(behaviour: _ => context =>
        {
            arrived.TrySetResult();
            return Task.Delay(TimeSpan.FromSeconds(20), context.RequestAborted);
        });
        using var spans = new SpanCollector();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "x-request-id", requestId } } };
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var call = mesh.Client.SendAsync(request, giveUp.Token);

        // The caller hangs up once its request is in the application's hands.
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await giveUp.CancelAsync();
        await Assert.ThrowsAsync<TaskCanceledException>(() => call);

        // The caller's span ends when it hangs up; the inbound one only once the cancellation has reached it.
        var outbound = Assert.Single(await spans.ForRequestAsync(requestId, 1, span => span.Kind == System.Diagnostics.ActivityKind.Client), span => span.Kind == System.Diagnostics.ActivityKind.Client);
        Assert.Equal(0, outbound.GetTagItem(MeshTelemetry.Attributes.ResponseCode));
        Assert.Contains("DC", (string)outbound.GetTagItem(MeshTelemetry.Attributes.ResponseFlags)!);
    }

    [Fact]
    public async Task TheRouteTimeoutBoundsAllTriesTogether()
    {
        var time = new FakeTimeProvider();
        var arrivals = Channel.CreateUnbounded<string>();
        await using var mesh = await StartAsync(
            [SpreadOverAllVersions with
            {
                Timeout = TimeSpan.FromMilliseconds(1000),
                Retries = new HttpRetry { Attempts = 5, PerTryTimeout = TimeSpan.FromMilliseconds(400), RetryOn = "5xx" },
            }],
            behaviour: version => async context =>
            {
                await arrivals.Writer.WriteAsync(version);
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
            },
            options: new MeshServerOptions { TimeProvider = time, Random = new ScriptedRandom(0) });

        var call = mesh.Client.GetAsync(mesh.Reviews);
        using var cap = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await arrivals.Reader.ReadAsync(cap.Token);      // try 1 at t=0
        time.Advance(TimeSpan.FromMilliseconds(400));     // its per-try timeout; back-off is 0
        await arrivals.Reader.ReadAsync(cap.Token);      // try 2 at t=400
        time.Advance(TimeSpan.FromMilliseconds(400));
        await arrivals.Reader.ReadAsync(cap.Token);      // try 3 at t=800
        time.Advance(TimeSpan.FromMilliseconds(200));     // t=1000: the route's timeout

        using var response = await call.WaitAsync(cap.Token);
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal(3, mesh.AllReceived.Count());
    }

    [Fact]
    public async Task RetriesWaitAJitteredBackOffOnTheInjectedClock()
    {
        var time = new ObservedTime();
        var arrivals = Channel.CreateUnbounded<string>();
        await using var mesh = await StartAsync(
            rule: VersionSubsets,
            behaviour: version => async context =>
            {
                await arrivals.Writer.WriteAsync(version);
                context.Response.StatusCode = 503;
            },
            // Dice: 0.4 for each back-off: 10 ms of the first bound (25 ms), 20 ms of the second (50 ms).
            options: new MeshServerOptions { TimeProvider = time, Random = new ScriptedRandom(0.4) });

        var call = mesh.Client.GetAsync(mesh.Reviews);
        using var cap = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await arrivals.Reader.ReadAsync(cap.Token);
        await time.WaitForTimerAsync(TimeSpan.FromMilliseconds(10), cap.Token); // the first back-off
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.False(arrivals.Reader.TryRead(out _), "The retry went before its back-off of 10 ms.");
        time.Advance(TimeSpan.FromMilliseconds(1));
        await arrivals.Reader.ReadAsync(cap.Token);
        await time.WaitForTimerAsync(TimeSpan.FromMilliseconds(20), cap.Token); // the second back-off
        time.Advance(TimeSpan.FromMilliseconds(19));
        Assert.False(arrivals.Reader.TryRead(out _), "The second retry went before its back-off of 20 ms.");
        time.Advance(TimeSpan.FromMilliseconds(1));
        await arrivals.Reader.ReadAsync(cap.Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await call.WaitAsync(cap.Token)).StatusCode);
    }
}
