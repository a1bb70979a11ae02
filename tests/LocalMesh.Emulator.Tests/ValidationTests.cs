using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.State;

namespace LocalMesh.Emulator.Tests;

/// <summary>Every problem the validator knows, each named by service, field and fix.</summary>
public sealed class ValidationTests
{
    private static readonly DestinationRule Subsets = new()
    {
        Subsets = [new Subset("v1", new Dictionary<string, string> { ["version"] = "v1" })],
    };

    private static ConfigError Single(HttpRoute[]? routes = null, DestinationRule? rule = null)
    {
        var config = new MeshConfig
        {
            Services = [new MeshServiceConfig("reviews") { Http = [.. routes ?? []], DestinationRule = rule ?? Subsets }, new MeshServiceConfig("ratings")],
        };
        var errors = MeshConfigValidator.Validate(config).Errors;
        var error = Assert.Single(errors);
        Assert.Equal("reviews", error.Resource);
        Assert.False(string.IsNullOrWhiteSpace(error.Fix));
        return error;
    }

    private static ConfigError SingleWarning(HttpRoute[] routes)
    {
        var result = MeshConfigValidator.Validate(new MeshConfig
        {
            Services = [new MeshServiceConfig("reviews") { Http = [.. routes], DestinationRule = Subsets }, new MeshServiceConfig("ratings")],
        });
        Assert.Empty(result.Errors);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("reviews", warning.Resource);
        return warning;
    }

    private static HttpRoute ToV1 => new() { Route = [new HttpRouteDestination(new Destination("reviews", "v1"))] };

    [Fact]
    public void AValidConfigurationHasNoErrors() =>
        Assert.Empty(MeshConfigValidator.Validate(new MeshConfig { Services = [new MeshServiceConfig("reviews") { Http = [ToV1], DestinationRule = Subsets }] }).Errors);

    [Fact]
    public void AnUnknownSubsetIsAcceptedAsIstiodDoesWithIstiosAnalyzerWarning()
    {
        var warning = SingleWarning([new HttpRoute { Route = [new HttpRouteDestination(new Destination("reviews", "v9"))] }]);
        Assert.Equal(("http[0].route[0].destination.subset", "IST0101"), (warning.Field, warning.Code));
        Assert.StartsWith("Referenced host+subset in destinationrule not found: \"reviews+v9\"", warning.Problem, StringComparison.Ordinal);
        Assert.StartsWith("use one of: v1, or declare it", warning.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownHostIsAcceptedAsIstiodDoesWithIstiosAnalyzerWarning()
    {
        var warning = SingleWarning([new HttpRoute { Route = [new HttpRouteDestination(new Destination("reveiws"))] }]);
        Assert.Equal(("http[0].route[0].destination.host", "IST0101"), (warning.Field, warning.Code));
        Assert.StartsWith("Referenced host not found: \"reveiws\"", warning.Problem, StringComparison.Ordinal);
        Assert.Contains("ratings, reviews", warning.Fix);
    }

    [Fact]
    public void AWrongDestinationPortIsAcceptedAsIstiodDoesWithAWarning() =>
        Assert.Equal("http[0].route[0].destination.port", SingleWarning([new HttpRoute { Route = [new HttpRouteDestination(new Destination("reviews", "v1", 9999))] }]).Field);

    [Fact]
    public void AnEmptyMatch() =>
        Assert.Equal("http[0].match[0]", Single([ToV1 with { Match = [new HttpMatchRequest()] }, ToV1]).Field);

    [Fact]
    public void ACatchAllRouteBeforeOthersIsIstiosWarningNotAnError()
    {
        var result = MeshConfigValidator.Validate(new MeshConfig
        {
            Services = [new MeshServiceConfig("reviews") { Http = [ToV1, ToV1 with { Match = [new HttpMatchRequest { Uri = StringMatch.Prefix("/") }] }], DestinationRule = Subsets }],
        });

        Assert.Empty(result.Errors);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(("reviews", "http[0].match", "IST0130"), (warning.Resource, warning.Field, warning.Code));
        Assert.StartsWith("VirtualService rule #1 not used", warning.Problem);
    }

    [Fact]
    public void ARegexThatDoesNotCompile() =>
        Assert.Equal("http[0].match[0].uri", Single([ToV1 with { Match = [new HttpMatchRequest { Uri = StringMatch.Regex("/reviews/(") }] }, ToV1]).Field);

    [Fact]
    public void ARegexWithBackReferencesWhichRe2HasNot() =>
        Assert.Equal("http[0].match[0].headers[x]", Single([ToV1 with { Match = [new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["x"] = StringMatch.Regex(@"(a)\1") } }] }, ToV1]).Field);

    [Fact]
    public void AnUpperCaseHeaderName() =>
        Assert.Equal("http[0].match[0].headers[End-User]", Single([ToV1 with { Match = [new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["End-User"] = StringMatch.Exact("jason") } }] }, ToV1]).Field);

    [Fact]
    public void PresenceOnAUri() =>
        Assert.Equal("http[0].match[0].uri", Single([ToV1 with { Match = [new HttpMatchRequest { Uri = StringMatch.Present }] }, ToV1]).Field);

    [Fact]
    public void AnEmptyPrefix() =>
        Assert.Equal("http[0].match[0].uri", Single([ToV1 with { Match = [new HttpMatchRequest { Uri = StringMatch.Prefix("") }] }, ToV1]).Field);

    [Fact]
    public void AMatchPortOutOfRange() =>
        Assert.Equal("http[0].match[0].port", Single([ToV1 with { Match = [new HttpMatchRequest { Port = 70000 }] }, ToV1]).Field);

    [Fact]
    public void ANegativeWeight() =>
        Assert.Equal("http[0].route[1].weight", Single([new HttpRoute
        {
            Route = [new HttpRouteDestination(new Destination("reviews", "v1"), 100), new HttpRouteDestination(new Destination("reviews", "v1"), -5)],
        }]).Field);

    [Fact]
    public void WeightsAllZero() =>
        Assert.Equal("http[0].route", Single([new HttpRoute
        {
            Route = [new HttpRouteDestination(new Destination("reviews", "v1"), 0), new HttpRouteDestination(new Destination("reviews", "v1"), 0)],
        }]).Field);

    [Fact]
    public void ARouteWithoutDestination() => Assert.Equal("http[0].route", Single([new HttpRoute()]).Field);

    [Fact]
    public void ARedirectAndARouteTogether() =>
        Assert.Equal("http[0].redirect", Single([ToV1 with { Redirect = new HttpRedirect { Uri = "/x" } }]).Field);

    [Fact]
    public void ABadRedirectCode() =>
        Assert.Equal("http[0].redirect.redirectCode", Single([new HttpRoute { Redirect = new HttpRedirect { Uri = "/x", RedirectCode = 200 } }]).Field);

    [Fact]
    public void ANegativeTimeout() =>
        Assert.Equal("http[0].timeout", Single([ToV1 with { Timeout = TimeSpan.FromSeconds(-1) }]).Field);

    [Fact]
    public void NegativeRetryAttempts() =>
        Assert.Equal("http[0].retries.attempts", Single([ToV1 with { Retries = new HttpRetry { Attempts = -1 } }]).Field);

    [Fact]
    public void APerTryTimeoutUnderAMillisecond() =>
        Assert.Equal("http[0].retries.perTryTimeout", Single([ToV1 with { Retries = new HttpRetry { Attempts = 1, PerTryTimeout = TimeSpan.Zero } }]).Field);

    [Fact]
    public void AnUnknownRetryCondition() =>
        Assert.Equal("http[0].retries.retryOn", Single([ToV1 with { Retries = new HttpRetry { Attempts = 1, RetryOn = "5xx,sometimes" } }]).Field);

    [Fact]
    public void AFaultWithNothingToInject() =>
        Assert.Equal("http[0].fault", Single([ToV1 with { Fault = new HttpFaultInjection() }]).Field);

    [Fact]
    public void ANonPositiveDelay() =>
        Assert.Equal("http[0].fault.delay.fixedDelay", Single([ToV1 with { Fault = new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.Zero, 100) } }]).Field);

    [Fact]
    public void APercentageOver100() =>
        Assert.Equal("http[0].fault.abort.percentage", Single([ToV1 with { Fault = new HttpFaultInjection { Abort = new FaultAbort(500, 150) } }]).Field);

    [Fact]
    public void AnAbortStatusThatIsNotAnHttpStatus() =>
        Assert.Equal("http[0].fault.abort.httpStatus", Single([ToV1 with { Fault = new HttpFaultInjection { Abort = new FaultAbort(42, 100) } }]).Field);

    [Fact]
    public void AMirrorPercentageOutOfRange() =>
        Assert.Equal("http[0].mirrorPercentage", Single([ToV1 with { Mirror = new Destination("reviews", "v1"), MirrorPercentage = -1 }]).Field);

    [Fact]
    public void AnUnknownMirrorHostIsAcceptedWithIstiosAnalyzerWarning() =>
        Assert.Equal(("http[0].mirror.host", "IST0101"), (SingleWarning([ToV1 with { Mirror = new Destination("nowhere") }]).Field, SingleWarning([ToV1 with { Mirror = new Destination("nowhere") }]).Code));

    [Fact]
    public void ADuplicateSubset() =>
        Assert.Equal("subsets[1].name", Single(rule: new DestinationRule { Subsets = [Subsets.Subsets![0], Subsets.Subsets![0]] }).Field);

    [Theory]
    [InlineData("V1")]
    [InlineData("v1_canary")]
    [InlineData("-v1")]
    [InlineData("v1.2")]
    public void ASubsetNameThatIsNotADns1123LabelIsRejectedAsIstiodRejectsIt(string name)
    {
        var error = Single(rule: new DestinationRule { Subsets = [new Subset(name, new Dictionary<string, string> { ["version"] = "v1" })] });
        Assert.Equal("subsets[0].name", error.Field);
        Assert.Contains("not a DNS-1123 label", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ASubsetWithoutLabels() =>
        Assert.Equal("subsets[0].labels", Single(rule: new DestinationRule { Subsets = [new Subset("all", new Dictionary<string, string>())] }).Field);

    [Fact]
    public void SimpleAndConsistentHashTogether() =>
        Assert.Equal("trafficPolicy.loadBalancer", Single(rule: Subsets with
        {
            TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.Random, ConsistentHash = new ConsistentHash { UseSourceIp = true } } },
        }).Field);

    [Fact]
    public void AConsistentHashWithTwoKeys() =>
        Assert.Equal("subsets[0].trafficPolicy.loadBalancer.consistentHash", Single(rule: new DestinationRule
        {
            Subsets = [Subsets.Subsets![0] with { TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { UseSourceIp = true, HttpHeaderName = "x" } } } }],
        }).Field);

    [Fact]
    public void ANonPositiveRingSize() =>
        Assert.Equal("trafficPolicy.loadBalancer.consistentHash.minimumRingSize", Single(rule: Subsets with
        {
            TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { UseSourceIp = true, MinimumRingSize = 0 } } },
        }).Field);

    [Fact]
    public void AHashCookieWithoutAName() =>
        Assert.Equal("trafficPolicy.loadBalancer.consistentHash.httpCookie", Single(rule: Subsets with
        {
            TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpCookie = new HttpCookie("") } } },
        }).Field);

    [Theory]
    [InlineData("tcp.maxConnections")]
    [InlineData("http.http1MaxPendingRequests")]
    [InlineData("http.http2MaxRequests")]
    [InlineData("http.maxRetries")]
    [InlineData("tcp.connectTimeout")]
    public void ConnectionPoolLimitsOutOfRange(string field)
    {
        var pool = field switch
        {
            "tcp.maxConnections" => new ConnectionPoolSettings { Tcp = new TcpSettings { MaxConnections = 0 } },
            "tcp.connectTimeout" => new ConnectionPoolSettings { Tcp = new TcpSettings { ConnectTimeout = TimeSpan.Zero } },
            "http.http1MaxPendingRequests" => new ConnectionPoolSettings { Http = new HttpSettings { Http1MaxPendingRequests = -1 } },
            "http.http2MaxRequests" => new ConnectionPoolSettings { Http = new HttpSettings { Http2MaxRequests = 0 } },
            _ => new ConnectionPoolSettings { Http = new HttpSettings { MaxRetries = -2 } },
        };

        Assert.Equal($"trafficPolicy.connectionPool.{field}", Single(rule: Subsets with { TrafficPolicy = new TrafficPolicy { ConnectionPool = pool } }).Field);
    }

    [Theory]
    [InlineData("interval")]
    [InlineData("baseEjectionTime")]
    [InlineData("maxEjectionPercent")]
    [InlineData("minHealthPercent")]
    public void OutlierDetectionSettingsOutOfRange(string field)
    {
        var detection = field switch
        {
            "interval" => new OutlierDetection { Interval = TimeSpan.Zero },
            "baseEjectionTime" => new OutlierDetection { BaseEjectionTime = TimeSpan.FromSeconds(-1) },
            "maxEjectionPercent" => new OutlierDetection { MaxEjectionPercent = 101 },
            _ => new OutlierDetection { MinHealthPercent = -1 },
        };

        Assert.Equal($"trafficPolicy.outlierDetection.{field}", Single(rule: Subsets with { TrafficPolicy = new TrafficPolicy { OutlierDetection = detection } }).Field);
    }

    [Fact]
    public void NegativeConsecutiveErrors() =>
        Assert.Equal("trafficPolicy.outlierDetection", Single(rule: Subsets with { TrafficPolicy = new TrafficPolicy { OutlierDetection = new OutlierDetection { Consecutive5xxErrors = -1 } } }).Field);

    [Theory]
    [InlineData("x-ok", "two\r\nlines", "http[0].headers.request.set[x-ok]")]
    [InlineData("bad name", "value", "http[0].headers.request.set[bad name]")]
    [InlineData("x:colon", "value", "http[0].headers.request.set[x:colon]")]
    public void HeaderOperationsMustFitOnTheWire(string name, string value, string field)
    {
        var result = MeshConfigValidator.Validate(new MeshConfig
        {
            Services = [new MeshServiceConfig("reviews")
            {
                Http = [new HttpRoute
                {
                    Route = [new HttpRouteDestination(new Destination("reviews"))],
                    Headers = new Headers { Request = new HeaderOperations { Set = new Dictionary<string, string> { [name] = value } } },
                }],
            }],
        });

        Assert.Equal(field, Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void ConnectionPoolSettingsThatAreNotEmulatedAreNotices()
    {
        var result = MeshConfigValidator.Validate(new MeshConfig
        {
            Services = [new MeshServiceConfig("reviews") { DestinationRule = new DestinationRule { TrafficPolicy = new TrafficPolicy
            {
                ConnectionPool = new ConnectionPoolSettings { Http = new HttpSettings { MaxRequestsPerConnection = 10, IdleTimeout = TimeSpan.FromMinutes(5) } },
            } } }],
        });

        Assert.Empty(result.Errors);
        Assert.Contains("maxRequestsPerConnection", Assert.Single(result.Notices).Text);
    }

    [Fact]
    public void PassthroughIsANoticeNotAnError()
    {
        var result = MeshConfigValidator.Validate(new MeshConfig
        {
            Services = [new MeshServiceConfig("reviews") { DestinationRule = new DestinationRule { TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.Passthrough } } } }],
        });

        Assert.Empty(result.Errors);
        Assert.Contains("PASSTHROUGH", Assert.Single(result.Notices).Text);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        var errors = MeshConfigValidator.Validate(new MeshConfig
        {
            Services =
            [
                new MeshServiceConfig("reviews")
                {
                    Http = [new HttpRoute { Route = [new HttpRouteDestination(new Destination("reviews"))], Timeout = TimeSpan.FromSeconds(-1), Retries = new HttpRetry { Attempts = -1 } }],
                },
                new MeshServiceConfig("ratings") { Http = [new HttpRoute()] },
            ],
        }).Errors;

        Assert.Equal(3, errors.Count);
        Assert.Equal(["ratings", "reviews", "reviews"], errors.Select(e => e.Resource).Order());
    }

    [Fact]
    public void ARuntimeChangeThatIsInvalidIsRefusedWholeAndTheOldConfigurationStays()
    {
        var state = new MeshState(new MeshConfig { Services = [new MeshServiceConfig("reviews") { DestinationRule = Subsets }] });
        var before = state.Snapshot;

        var error = Assert.Throws<MeshConfigException>(() => state.SetConfig(before.Config with
        {
            Services = [new MeshServiceConfig("reviews") { Http = [new HttpRoute { Route = [new HttpRouteDestination(new Destination("reviews", "v1"))], Timeout = TimeSpan.FromSeconds(-1) }] }],
        }));

        Assert.Contains("http[0].timeout", error.Message);
        Assert.Same(before, state.Snapshot);
    }

    [Fact]
    public void TheTopologyIsCheckedNamesAreUniqueAndReferencesLeadSomewhere()
    {
        var config = MeshFixtures.CallerAndBackend();
        var errors = MeshConfigValidator.Validate(config with
        {
            Services = [.. config.Services, new MeshServiceConfig("backend")],
            Workloads = [.. config.Workloads, MeshFixtures.Workload("stray-v1", "nowhere")],
            Listeners = [.. config.Listeners, ListenerConfig.Outbound("ghost", "backend"), ListenerConfig.Outbound("caller", "nothing")],
        }).Errors;

        Assert.Equal(
            [
                ("backend", "name", "names 2 services."),
                ("listener/outbound|caller|nothing", "destination", "'nothing' is no service of the mesh."),
                ("listener/outbound|ghost|backend", "workload", "'ghost' is no workload of the mesh."),
                ("stray-v1", "service", "'nowhere' is no service of the mesh."),
            ],
            errors.Select(error => (error.Resource, error.Field, error.Problem)).Order());
    }

    [Fact]
    public void TheFixturesAndAValidConfigurationHaveACleanTopology() =>
        Assert.Empty(MeshConfigValidator.Validate(MeshFixtures.CallerAndBackend()).Errors);
}
