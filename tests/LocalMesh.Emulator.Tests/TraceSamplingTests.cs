using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.State;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// Trace sampling as Istio's Telemetry <c>randomSamplingPercentage</c>: decided where a trace starts
/// (on the injected dice), followed by every later hop through traceparent's flags.
/// </summary>
public sealed class TraceSamplingTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(0.24, true)] // 24 < 25: recorded
    [InlineData(0.25, false)] // 25 is not below 25: not recorded
    public async Task ATraceThatStartsHereIsRecordedAtTheMeshsPercentageAndTheDecisionTravelsOn(double dice, bool recorded)
    {
        using var spans = new SpanCollector();
        await using var mesh = await MeshHarness.StartAsync(options: new MeshServerOptions { Random = new ScriptedRandom(dice) });
        mesh.Server.State.SetConfig(mesh.Server.State.Snapshot.Config with { TraceSampling = 25 });
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews);
        request.Headers.Add("x-request-id", requestId);

        using var response = await mesh.Client.SendAsync(request).WaitAsync(Cap);

        // The application gets a traceparent either way; its flags carry the decision (01 recorded, 00 not).
        var traceParent = response.Headers.GetValues("x-echo-traceparent").Single();
        Assert.EndsWith(recorded ? "-01" : "-00", traceParent, StringComparison.Ordinal);
        if (recorded)
        {
            // Both sidecars recorded their span of the one trace.
            var recordedSpans = await spans.ForRequestAsync(requestId, 2);
            Assert.Single(recordedSpans.Select(span => span.TraceId).Distinct());
        }
        else
        {
            Assert.DoesNotContain(spans.All, span => span.GetTagItem(Telemetry.MeshTelemetry.Attributes.RequestId) as string == requestId);
        }
    }

    [Fact]
    public async Task ACallersDecisionIsFollowedWhateverTheMeshsPercentage()
    {
        using var spans = new SpanCollector();
        await using var mesh = await MeshHarness.StartAsync();
        mesh.Server.State.SetConfig(mesh.Server.State.Snapshot.Config with { TraceSampling = 0 });
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Reviews);
        request.Headers.Add("x-request-id", requestId);
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        using var response = await mesh.Client.SendAsync(request).WaitAsync(Cap);

        Assert.True(response.IsSuccessStatusCode);
        var recorded = await spans.ForRequestAsync(requestId, 2);
        Assert.All(recorded, span => Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId.ToHexString()));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(100.5)]
    public void APercentageOutside0To100IsAnErrorNamingTheField(double percentage)
    {
        var config = MeshFixtures.CallerAndBackend() with { TraceSampling = percentage };

        var error = Assert.Throws<MeshConfigException>(() => new MeshState(config));

        Assert.Contains("traceSampling", error.Message, StringComparison.Ordinal);
    }
}
