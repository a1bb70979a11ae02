using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Outliers;
using LocalMesh.Emulator.Routing;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Time.Testing;
using static LocalMesh.Emulator.Tests.MeshHarness;

namespace LocalMesh.Emulator.Tests;

/// <summary>DestinationRule <c>outlierDetection</c>, rule by rule, on the injected clock.</summary>
public sealed class OutlierDetectionTests
{
    private static readonly ImmutableArray<UpstreamEndpoint> Endpoints =
        [.. Enumerable.Range(0, 10).Select(i => new UpstreamEndpoint($"reviews-{i}", 0, ImmutableDictionary<string, string>.Empty, new Uri("http://127.0.0.1:1")))];

    private static Cluster ClusterWith(OutlierDetection detection, int endpoints = 10) =>
        new("reviews", 80, null, [.. Endpoints.Take(endpoints)], new TrafficPolicy { OutlierDetection = detection });

    private static readonly OutlierDetection Defaults = new() { Interval = TimeSpan.FromSeconds(10) };

    private static void Fail(OutlierDetector detector, Cluster cluster, int endpoint, int times, int? status = 500)
    {
        for (var i = 0; i < times; i++)
        {
            detector.Report("productpage", cluster, cluster.Endpoints[endpoint], status);
        }
    }

    private static bool IsAvailable(OutlierDetector detector, Cluster cluster, int endpoint) =>
        detector.Available("productpage", cluster).Contains(cluster.Endpoints[endpoint]);

    [Fact]
    public void FiveConsecutive5xxEjectAnEndpointByDefault()
    {
        var detector = new OutlierDetector(new FakeTimeProvider(), new MeshMetrics());
        var cluster = ClusterWith(Defaults);

        Fail(detector, cluster, 3, 4);
        Assert.True(IsAvailable(detector, cluster, 3));
        Fail(detector, cluster, 3, 1);

        Assert.False(IsAvailable(detector, cluster, 3));
        Assert.Equal("reviews-3/0", Assert.Single(detector.Ejections).Endpoint);
    }

    [Fact]
    public void TheEndpointsLeftFollowEachEjectionAndEachReturn()
    {
        var time = new FakeTimeProvider();
        var detector = new OutlierDetector(time, new MeshMetrics());
        var cluster = ClusterWith(Defaults with { MaxEjectionPercent = 100, BaseEjectionTime = TimeSpan.FromSeconds(30) });

        Assert.Equal(10, detector.Available("productpage", cluster).Count);
        Fail(detector, cluster, 3, 5);
        Assert.Equal(9, detector.Available("productpage", cluster).Count);
        time.Advance(TimeSpan.FromSeconds(15));
        Fail(detector, cluster, 4, 5);
        Assert.Equal(8, detector.Available("productpage", cluster).Count);

        time.Advance(TimeSpan.FromSeconds(20)); // the first ejection is over (at the sweep after 30 s), the second is not
        Assert.True(IsAvailable(detector, cluster, 3));
        Assert.False(IsAvailable(detector, cluster, 4));
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(10, detector.Available("productpage", cluster).Count);
    }

    [Fact]
    public void EachEjectionAndEachReturnIsAnnouncedOnTheInjectedClock()
    {
        var time = new FakeTimeProvider();
        var detector = new OutlierDetector(time, new MeshMetrics());
        var cluster = ClusterWith(Defaults with { MaxEjectionPercent = 100, BaseEjectionTime = TimeSpan.FromSeconds(30) });
        var announced = new List<int>();
        detector.Changed += () => announced.Add(detector.Ejections.Count);

        Fail(detector, cluster, 3, 5);
        time.Advance(TimeSpan.FromSeconds(15));
        Fail(detector, cluster, 4, 5);
        Assert.Equal([1, 2], announced);

        time.Advance(TimeSpan.FromSeconds(20)); // the first returns at the sweep after 30 s
        Assert.Equal([1, 2, 1], announced);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal([1, 2, 1, 0], announced);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(4, announced.Count);
    }

    [Fact]
    public void ASuccessStartsTheCountAgain()
    {
        var detector = new OutlierDetector(new FakeTimeProvider(), new MeshMetrics());
        var cluster = ClusterWith(Defaults);

        Fail(detector, cluster, 3, 4);
        Fail(detector, cluster, 3, 1, status: 200);
        Fail(detector, cluster, 3, 4);

        Assert.True(IsAvailable(detector, cluster, 3));
    }

    [Fact]
    public void AConnectionFailureCountsAsAnError()
    {
        var detector = new OutlierDetector(new FakeTimeProvider(), new MeshMetrics());
        var cluster = ClusterWith(Defaults with { Consecutive5xxErrors = 2 });

        Fail(detector, cluster, 1, 2, status: null);

        Assert.False(IsAvailable(detector, cluster, 1));
    }

    [Fact]
    public void ZeroConsecutive5xxErrorsDisablesThatCheck()
    {
        var detector = new OutlierDetector(new FakeTimeProvider(), new MeshMetrics());
        var cluster = ClusterWith(Defaults with { Consecutive5xxErrors = 0 });

        Fail(detector, cluster, 1, 50);

        Assert.True(IsAvailable(detector, cluster, 1));
    }

    [Fact]
    public void GatewayErrorsCountOnlyFor502503And504()
    {
        var detector = new OutlierDetector(new FakeTimeProvider(), new MeshMetrics());
        var cluster = ClusterWith(Defaults with { Consecutive5xxErrors = 0, ConsecutiveGatewayErrors = 3 });

        Fail(detector, cluster, 1, 10, status: 500);
        Assert.True(IsAvailable(detector, cluster, 1));
        Fail(detector, cluster, 1, 2, status: 502);
        Fail(detector, cluster, 1, 1, status: 504);

        Assert.False(IsAvailable(detector, cluster, 1));
    }

    [Fact]
    public void AnEjectionLastsTheBaseTimeTimesTheEjectionsAndEndsAtADetectionInterval()
    {
        var time = new FakeTimeProvider();
        var detector = new OutlierDetector(time, new MeshMetrics());
        var cluster = ClusterWith(Defaults with { BaseEjectionTime = TimeSpan.FromSeconds(30) });

        time.Advance(TimeSpan.FromSeconds(3));
        Fail(detector, cluster, 2, 5);                      // ejected at t=3 for 30 s: back at the sweep at t=40
        time.Advance(TimeSpan.FromSeconds(36));               // t=39
        Assert.False(IsAvailable(detector, cluster, 2));
        time.Advance(TimeSpan.FromSeconds(1));                // t=40
        Assert.True(IsAvailable(detector, cluster, 2));

        Fail(detector, cluster, 2, 5);                      // second ejection at t=40: 60 s, back at t=100
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(IsAvailable(detector, cluster, 2));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(IsAvailable(detector, cluster, 2));
        Assert.Empty(detector.Ejections);
    }

    [Fact]
    public void MaxEjectionPercentCapsEjectionsButOneIsAlwaysAllowed()
    {
        var detector = new OutlierDetector(new FakeTimeProvider(), new MeshMetrics());
        var cluster = ClusterWith(Defaults with { MaxEjectionPercent = 10 }, endpoints: 3);

        Fail(detector, cluster, 0, 5);   // 1 of 3 is 33 % > 10 %, yet one may always be ejected
        Fail(detector, cluster, 1, 5);   // a second would make 67 %: detected, not enforced

        Assert.False(IsAvailable(detector, cluster, 0));
        Assert.True(IsAvailable(detector, cluster, 1));
    }

    [Fact]
    public void DetectedAndEnforcedEjectionsAreCountedApart()
    {
        var counts = new Dictionary<string, long>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MeshTelemetry.SourceName && instrument.Name.StartsWith("outlier_detection.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        var cluster = new Cluster($"counted-{Guid.NewGuid():N}", 80, null, [.. Endpoints.Take(3)], new TrafficPolicy { OutlierDetection = Defaults with { MaxEjectionPercent = 10 } });
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Value as string == cluster.Name))
            {
                lock (counts)
                {
                    counts[instrument.Name] = counts.GetValueOrDefault(instrument.Name) + value;
                }
            }
        });
        meters.Start();
        var detector = new OutlierDetector(new FakeTimeProvider(), new MeshMetrics());

        Fail(detector, cluster, 0, 5);
        Fail(detector, cluster, 1, 5);

        Assert.Equal(2, counts["outlier_detection.ejections_detected"]);
        Assert.Equal(1, counts["outlier_detection.ejections_enforced"]);
        Assert.Equal(1, counts["outlier_detection.ejections_overflow"]);
    }

    [Fact]
    public void BelowMinHealthPercentEjectedEndpointsAreUsedAgain()
    {
        var detector = new OutlierDetector(new FakeTimeProvider(), new MeshMetrics());
        var cluster = ClusterWith(Defaults with { MaxEjectionPercent = 100, MinHealthPercent = 50 }, endpoints: 4);

        Fail(detector, cluster, 0, 5);
        Assert.Equal(3, detector.Available("productpage", cluster).Count);   // 75 % healthy
        Fail(detector, cluster, 1, 5);
        Fail(detector, cluster, 2, 5);                                        // 25 % healthy < 50 %

        Assert.Equal(4, detector.Available("productpage", cluster).Count);
    }

    [Fact]
    public void EachCallingSidecarDetectsOnItsOwn()
    {
        var detector = new OutlierDetector(new FakeTimeProvider(), new MeshMetrics());
        var cluster = ClusterWith(Defaults);

        Fail(detector, cluster, 0, 5);

        Assert.Contains(cluster.Endpoints[0], detector.Available("reviews-v2", cluster));
    }

    [Fact]
    public async Task AnEjectedEndpointGetsNoTrafficUntilItReturns()
    {
        var time = new FakeTimeProvider();
        var failing = true;
        await using var mesh = await StartAsync(
            [new HttpRoute { Route = [To("v1", 1), To("v2", 1)], Retries = new HttpRetry { Attempts = 0 } }],
            VersionSubsets with
            {
                TrafficPolicy = new TrafficPolicy
                {
                    // Round robin draws no dice, so the scripted ones below decide only the weighted pick.
                    LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.RoundRobin },
                    OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 2, Interval = TimeSpan.FromSeconds(1), BaseEjectionTime = TimeSpan.FromSeconds(30), MaxEjectionPercent = 100 },
                },
            },
            behaviour: version => version == "v2"
                ? context => { context.Response.StatusCode = failing ? 500 : 200; return Task.CompletedTask; }
                : null,
            // Dice: the weighted pick alternates v1, v2.
            options: new MeshServerOptions { TimeProvider = time, Random = new ScriptedRandom(0.0, 0.5, 0.0, 0.5, 0.0, 0.5) });

        // The route splits between two subset clusters; ejection is per cluster, so v2 is ejected from its own.
        for (var i = 0; i < 6; i++)
        {
            await mesh.Client.GetAsync(mesh.Reviews);
        }

        // The third request for v2 found its only endpoint ejected: no healthy upstream, nothing sent.
        Assert.Equal(2, mesh.Backends["v2"].Received.Count);
        Assert.Equal(3, mesh.Backends["v1"].Received.Count);
        var ejection = Assert.Single(mesh.Server.Ejections);
        Assert.Equal(("productpage", "reviews-v2/0"), (ejection.Source, ejection.Endpoint));
        failing = false;
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(mesh.Server.Ejections);
        // The dice keep their last throw (v2): both requests reach v2 again.
        await mesh.Client.GetAsync(mesh.Reviews);
        await mesh.Client.GetAsync(mesh.Reviews);
        Assert.Equal(4, mesh.Backends["v2"].Received.Count);
    }
}
