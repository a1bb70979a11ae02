using System.Net;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using static LocalMesh.Emulator.Tests.MeshHarness;

namespace LocalMesh.Emulator.Tests;

/// <summary>VirtualService <c>fault</c>, rule by rule, with time and dice injected.</summary>
public sealed class FaultInjectionTests
{
    private static HttpRoute WithFault(FaultDelay? delay = null, FaultAbort? abort = null) =>
        new() { Route = [To("v1")], Fault = new HttpFaultInjection { Delay = delay, Abort = abort } };

    [Fact]
    public async Task AnAbortAnswersTheStatusWithoutCallingTheUpstream()
    {
        await using var mesh = await StartAsync([WithFault(abort: new FaultAbort(500, 100))]);
        using var spans = new SpanCollector();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews) { Headers = { { "x-request-id", requestId } } };

        using var response = await mesh.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("fault filter abort", await response.Content.ReadAsStringAsync());
        Assert.Empty(mesh.AllReceived);
        Assert.Equal("FI", Assert.Single(await spans.ForRequestAsync(requestId, 1)).GetTagItem(MeshTelemetry.Attributes.ResponseFlags));
    }

    [Fact]
    public async Task AGrpcAbortAnswersWithAGrpcStatus()
    {
        await using var mesh = await StartAsync([WithFault(abort: new FaultAbort(0, 100) { GrpcStatus = "UNAVAILABLE" })]);

        using var response = await mesh.Client.GetAsync(mesh.Reviews);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("14", response.Headers.GetValues("grpc-status").Single());
    }

    [Theory]
    [InlineData(null, 0.0, false)]
    [InlineData(0.0, 0.0, false)]
    [InlineData(50.0, 0.49, true)]
    [InlineData(50.0, 0.5, false)]
    [InlineData(100.0, 0.999, true)]
    public async Task APercentageSaysWhichRequestsAreAbortedAndNoPercentageAbortsNone(double? percentage, double dice, bool aborted)
    {
        await using var mesh = await StartAsync(
            [WithFault(abort: new FaultAbort(503, percentage))],
            options: new MeshServerOptions { Random = new ScriptedRandom(dice) });

        using var response = await mesh.Client.GetAsync(mesh.Reviews);

        Assert.Equal(aborted ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ADelayHoldsTheRequestOnTheInjectedClockThenForwardsIt()
    {
        var time = new ObservedTime();
        await using var mesh = await StartAsync(
            [WithFault(delay: new FaultDelay(TimeSpan.FromSeconds(7), 100))],
            options: new MeshServerOptions { TimeProvider = time });
        using var cap = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var call = mesh.Client.GetStringAsync(mesh.Reviews, cap.Token);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(7), cap.Token);
        time.Advance(TimeSpan.FromSeconds(6.9));

        // The fault still holds the request: its delay's timer has neither fired nor been dropped.
        Assert.True(time.IsWaiting(TimeSpan.FromSeconds(7)));
        Assert.False(call.IsCompleted);
        Assert.Empty(mesh.AllReceived);
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal("reviews-v1", await call);
    }

    [Fact]
    public async Task DelayAndAbortAreDecidedIndependently()
    {
        // Dice: delay 0.1 (< 50: delayed), abort 0.9 (>= 50: not aborted).
        var time = new ObservedTime();
        await using var mesh = await StartAsync(
            [WithFault(delay: new FaultDelay(TimeSpan.FromMilliseconds(100), 50), abort: new FaultAbort(500, 50))],
            options: new MeshServerOptions { TimeProvider = time, Random = new ScriptedRandom(0.1, 0.9) });
        using var cap = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var call = mesh.Client.GetAsync(mesh.Reviews, cap.Token);
        await time.WaitForTimerAsync(TimeSpan.FromMilliseconds(100), cap.Token);
        time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        Assert.Single(mesh.AllReceived);
    }
}
