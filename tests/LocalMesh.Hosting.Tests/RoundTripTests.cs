using System.Text.Json;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Hosting;
using LocalMesh.Kubernetes.Export;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.Hosting.Tests;

/// <summary>
/// Each kind of rule written in C#, exported as YAML and loaded back as the only rules of the same
/// app, compiles to the same configuration: the two ways of writing a rule mean the same thing.
/// </summary>
public sealed class RoundTripTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("localmesh-roundtrip-");

    private sealed class FunctionProject : IProjectMetadata
    {
        public string ProjectPath => Path.Combine(Path.GetTempPath(), "Sentiment", "Sentiment.csproj");
    }

    private static readonly Dictionary<string, string> Jason = new() { ["end-user"] = "jason" };

    /// <summary>The same app; with <paramref name="rules"/> it also writes every kind of rule in C#.</summary>
    private static (IDistributedApplicationBuilder Builder, IResourceBuilder<MeshResource> Mesh) App(bool rules, string? files = null)
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", Path.GetTempPath()]);
        var mesh = builder.AddMesh("mesh");
        if (files is not null)
        {
            mesh.WithConfigurationFiles(files);
        }

        var ratings = mesh.AddService("ratings").WithPort(9080).WithWorkload(builder.AddContainer("ratings-v1", "example/ratings", "1.0").WithHttpEndpoint(targetPort: 8080, name: "grpc"), version: "v1");
        var reviews = mesh.AddService("reviews").WithPort(9080);
        foreach (var version in new[] { "v1", "v2" })
        {
            reviews.WithWorkload(builder.AddContainer($"reviews-{version}", "example/reviews", "1.0").WithReference(ratings), version, serviceAccount: "bookinfo-reviews");
        }

        var cache = mesh.AddService("redis-cache").WithPort(6379);
        foreach (var version in new[] { "v1", "v2" })
        {
            cache.WithWorkload(builder.AddContainer($"redis-cache-{version}", "redis", "alpine").WithEndpoint(targetPort: 6379, scheme: "tcp", name: "tcp"), version);
        }

        var sentiment = mesh.AddFunction<FunctionProject>("sentiment").WithRevision(new Dictionary<string, string> { ["STRICT"] = "true" });
        var events = mesh.AddBroker("events");
        mesh.AddIngressGateway("ingress", port: 0).WithRoute(reviews);
        if (!rules)
        {
            return (builder, mesh);
        }

        cache.WithSubset("v1").WithSubset("v2")
            .WithTcpRoute(new TcpRoute
            {
                Match = [new L4MatchAttributes { Port = 6379, SourceLabels = new Dictionary<string, string> { ["version"] = "v2" } }],
                Route = [new RouteDestination(new Destination("redis-cache", "v2"))],
            })
            .WithTcpRoute(new TcpRoute { Route = [new RouteDestination(new Destination("redis-cache", "v1"), 90), new RouteDestination(new Destination("redis-cache", "v2"), 10)] });
        reviews.WithSubset("v1", trafficPolicy: new TrafficPolicy
            {
                LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpCookie = new HttpCookie("session", "/", TimeSpan.FromMinutes(5)) } },
            })
            .WithSubset("v2", trafficPolicy: new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.Random } })
            .WithTrafficPolicy(new TrafficPolicy
            {
                LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpHeaderName = "end-user" } },
                ConnectionPool = new ConnectionPoolSettings
                {
                    Tcp = new TcpSettings { MaxConnections = 10, ConnectTimeout = TimeSpan.FromSeconds(2), IdleTimeout = TimeSpan.FromMinutes(30) },
                    Http = new HttpSettings { Http1MaxPendingRequests = 5, Http2MaxRequests = 100, MaxRequestsPerConnection = 1, MaxRetries = 3, IdleTimeout = TimeSpan.FromSeconds(30) },
                },
                OutlierDetection = new OutlierDetection
                {
                    Consecutive5xxErrors = 3, ConsecutiveGatewayErrors = 2, Interval = TimeSpan.FromSeconds(5), BaseEjectionTime = TimeSpan.FromSeconds(30),
                    MaxEjectionPercent = 50, MinHealthPercent = 20,
                },
                Tls = new ClientTlsSettings(ClientTlsMode.IstioMutual),
                PortLevelSettings =
                [
                    new PortTrafficPolicy(9080)
                    {
                        LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.RoundRobin },
                        ConnectionPool = new ConnectionPoolSettings { Tcp = new TcpSettings { MaxConnections = 20 } },
                        OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 7 },
                        Tls = new ClientTlsSettings(ClientTlsMode.IstioMutual) { Sni = "reviews.default.svc.cluster.local", CaCertificates = "/etc/certs/root.pem", InsecureSkipVerify = true },
                    },
                ],
            })
            .WithHttpRoute(new HttpRoute
            {
                Name = "jason",
                Match = [new HttpMatchRequest { Headers = Jason.ToDictionary(pair => pair.Key, pair => StringMatch.Exact(pair.Value)), Uri = StringMatch.Prefix("/reviews") }],
                Route = [new HttpRouteDestination(new Destination("reviews", "v2")) { Headers = new Headers { Request = new HeaderOperations { Set = new Dictionary<string, string> { ["x-canary"] = "1" } } } }],
                Fault = new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromSeconds(7), 100), Abort = new FaultAbort(500, 10) },
            })
            .WithHttpRoute(new HttpRoute
            {
                Name = "old-api",
                Match = [new HttpMatchRequest { Uri = StringMatch.Regex("/v0/.*"), Method = StringMatch.Exact("GET") }],
                Redirect = new HttpRedirect { Uri = "/reviews", RedirectCode = 302, Authority = "reviews.example.com", Port = 8080, Scheme = "https" },
            })
            .WithHttpRoute(new HttpRoute
            {
                Name = "internal",
                Match =
                [
                    new HttpMatchRequest
                    {
                        Name = "from-v1-callers",
                        Uri = StringMatch.Prefix("/Internal"),
                        IgnoreUriCase = true,
                        Scheme = StringMatch.Exact("http"),
                        Authority = StringMatch.Prefix("reviews"),
                        Port = 9080,
                        QueryParams = new Dictionary<string, StringMatch> { ["debug"] = StringMatch.Exact("") },
                        WithoutHeaders = new Dictionary<string, StringMatch> { ["x-canary"] = StringMatch.Present },
                        SourceLabels = new Dictionary<string, string> { ["version"] = "v1" },
                    },
                ],
                Route = [new HttpRouteDestination(new Destination("reviews", "v1", 9080))],
                Rewrite = new HttpRewrite { Uri = "/internal", Authority = "reviews.internal" },
                Headers = new Headers
                {
                    Request = new HeaderOperations { Add = new Dictionary<string, string> { ["x-route"] = "internal" }, Remove = ["cookie"] },
                    Response = new HeaderOperations { Set = new Dictionary<string, string> { ["cache-control"] = "no-store" } },
                },
            })
            .WithHttpRoute(new HttpRoute
            {
                Name = "split",
                Route = [new HttpRouteDestination(new Destination("reviews", "v1"), 80), new HttpRouteDestination(new Destination("reviews", "v2"), 20)],
                Timeout = TimeSpan.FromSeconds(2),
                Retries = new HttpRetry { Attempts = 3, PerTryTimeout = TimeSpan.FromMilliseconds(500), RetryOn = "5xx,reset" },
                Mirror = new Destination("reviews", "v2"),
                MirrorPercentage = 25,
                Rewrite = new HttpRewrite { Uri = "/" },
            });
        ratings.WithSubset("v1", trafficPolicy: new TrafficPolicy
            {
                LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpQueryParameterName = "user" } },
            })
            .WithTrafficPolicy(new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { UseSourceIp = true, MinimumRingSize = 2048 } } })
            .WithHttpRoute(new HttpRoute
            {
                Name = "grpc-outage",
                Route = [new HttpRouteDestination(new Destination("ratings", "v1"))],
                Fault = new HttpFaultInjection { Abort = new FaultAbort(0, 5) { GrpcStatus = "UNAVAILABLE" } },
            });
        mesh.WithPeerAuthentication(new PeerAuthentication("default", MutualTlsMode.Strict))
            .WithPeerAuthentication(new PeerAuthentication("ratings", MutualTlsMode.Permissive)
            {
                Namespace = "default",
                Selector = new Dictionary<string, string> { ["app"] = "ratings" },
                PortLevelMtls = new Dictionary<int, MutualTlsMode> { [9080] = MutualTlsMode.Disable },
            })
            .WithAuthorizationPolicy(new AuthorizationPolicy("reviews-readers", AuthorizationAction.Allow)
            {
                Namespace = "default",
                Selector = new Dictionary<string, string> { ["app"] = "reviews" },
                Rules =
                [
                    new AuthorizationRule
                    {
                        From =
                        [
                            new AuthorizationSource { Principals = ["cluster.local/ns/default/sa/bookinfo-reviews"], IpBlocks = ["127.0.0.0/8"] },
                            new AuthorizationSource { Namespaces = ["default"], NotPrincipals = ["cluster.local/ns/default/sa/ratings-v1"], NotIpBlocks = ["10.0.0.0/8"] },
                        ],
                        To =
                        [
                            new AuthorizationOperation { Methods = ["GET"], Paths = ["/reviews/*"], Hosts = ["reviews", "reviews:9080"], Ports = ["9080"] },
                            new AuthorizationOperation { NotMethods = ["DELETE"], NotPaths = ["/admin*"], NotHosts = ["admin.example.com"], NotPorts = ["15000"] },
                        ],
                        When =
                        [
                            new AuthorizationCondition("request.headers[end-user]") { NotValues = ["mallory"] },
                            new AuthorizationCondition("source.namespace") { Values = ["default"] },
                        ],
                    },
                ],
            })
            .WithAuthorizationPolicy(new AuthorizationPolicy("no-strangers", AuthorizationAction.Deny) { Namespace = "default", Rules = [new AuthorizationRule { From = [new AuthorizationSource { NotNamespaces = ["default"] }] }] });
        sentiment.WithScaling(new FunctionScaling
            {
                ContainerConcurrency = 10, MinScale = 1, MaxScale = 3, InitialScale = 2, Window = TimeSpan.FromSeconds(6), Target = 50, TargetUtilizationPercentage = 80,
                ScaleDownDelay = TimeSpan.FromSeconds(30), ScaleToZeroPodRetentionPeriod = TimeSpan.FromMinutes(1),
            })
            .WithTraffic("sentiment-00001", 90)
            .WithTraffic("sentiment-00002", 10, tag: "canary");
        events.WithDelivery(new DeliverySpec { Retry = 4, BackoffPolicy = BackoffPolicy.Linear, BackoffDelay = TimeSpan.FromMilliseconds(500), Timeout = TimeSpan.FromSeconds(5) })
            .WithTrigger("posted", sentiment, new Dictionary<string, string> { ["type"] = "com.example.posted" },
                new DeliverySpec { Retry = 1, DeadLetterSink = "ratings" }, path: "/events");
        return (builder, mesh);
    }

    private static async Task<(CompiledMesh Compiled, KubernetesAppModel Model)> CompileAsync(IDistributedApplicationBuilder builder, IResourceBuilder<MeshResource> mesh)
    {
        using var app = builder.Build();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var context = app.Services.GetRequiredService<DistributedApplicationExecutionContext>();
        return (MeshModelCompiler.Compile(model, mesh.Resource), await KubernetesModelBuilder.BuildAsync(model, context, CancellationToken.None));
    }

    /// <summary>The rules of a configuration, as text a failure can show.</summary>
    private static string Rules(MeshConfig config) => JsonSerializer.Serialize(
        new { config.Services, config.Workloads, config.Brokers, config.PeerAuthentications, config.AuthorizationPolicies },
        new JsonSerializerOptions { WriteIndented = true });

    [Fact]
    public async Task EachKindOfRuleWrittenInCSharpCompilesAsTheSameRuleExportedAndReadBackFromYaml()
    {
        var (csharp, csharpMesh) = App(rules: true);
        var (fromCode, model) = await CompileAsync(csharp, csharpMesh);
        await KubernetesExport.Export(model).WriteAsync(_folder.FullName);

        var (yaml, yamlMesh) = App(rules: false, files: _folder.FullName);
        var (fromFiles, _) = await CompileAsync(yaml, yamlMesh);

        Assert.DoesNotContain(fromFiles.Warnings, warning => !warning.StartsWith("Kept for the export", StringComparison.Ordinal));
        var rules = Rules(fromCode.Config);
        Assert.All(["mallory", "sa/bookinfo-reviews", "com.example.posted", "canary", "end-user", "00:00:07", "/v0/.*"], part => Assert.Contains(part, rules));
        Assert.Equal(rules, Rules(fromFiles.Config));
        // The app model's gateway route, exported as a Gateway and its VirtualService, is read back as them.
        Assert.Equal("ingress", Assert.Single(fromFiles.Config.Gateways).Name);
        Assert.Equal("ingress-reviews", Assert.Single(fromFiles.Config.GatewayVirtualServices).Name);
    }

    /// <summary>
    /// Every field of every rule record is set somewhere in the fixture above, so a field added to a
    /// record and forgotten by the exporter or the importer fails the round trip instead of
    /// vanishing on the way to the cluster. The fields listed here do not travel, each for its reason.
    /// </summary>
    [Fact]
    public void TheFixtureSetsEveryFieldOfEveryRuleRecordSoTheRoundTripCoversThem()
    {
        string[] notExported =
        [
            "FunctionScaling.MaxQueuedRequests", "FunctionScaling.ActivationTimeout", // the local activator's own settings
            "HttpRetry.RetryRemoteLocalities", // one locality locally
            "Subset.VersionService", // made by reading the Gateway API's version Services, which C# names as subsets (GatewayApiTests round-trips them)
            "VirtualService.Namespace", "VirtualService.Gateways", // a service's own VirtualService is for the sidecars in its namespace; gateway-bound ones come from files
        ];
        var (builder, mesh) = App(rules: true);
        var config = MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource).Config;

        var set = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<Type>();
        void Visit(object? value)
        {
            switch (value)
            {
                case null or string:
                    return;
                case System.Collections.IDictionary dictionary:
                    foreach (var item in dictionary.Values)
                    {
                        Visit(item);
                    }

                    return;
                case System.Collections.IEnumerable items:
                    foreach (var item in items)
                    {
                        Visit(item);
                    }

                    return;
            }

            var type = value.GetType();
            if (type.Namespace != typeof(HttpRoute).Namespace || type.IsEnum)
            {
                return;
            }

            seen.Add(type);
            foreach (var property in Fields(type))
            {
                var field = property.GetValue(value);
                var defaultValue = property.PropertyType.IsValueType ? Activator.CreateInstance(property.PropertyType) : null;
                if (field is not null && !field.Equals(defaultValue) && field is not System.Collections.ICollection { Count: 0 })
                {
                    set.Add($"{type.Name}.{property.Name}");
                }

                Visit(field);
            }
        }

        Visit(new object[] { config.Services, config.PeerAuthentications, config.AuthorizationPolicies, config.Brokers, config.Workloads.Select(w => w.Scaling) });
        var unset = seen.SelectMany(type => Fields(type).Select(property => $"{type.Name}.{property.Name}"))
            .Where(field => !set.Contains(field) && !notExported.Contains(field))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(unset.Count == 0, $"Set nowhere in the round-trip fixture (set them in App(rules: true), or list them in notExported with the reason): {string.Join(", ", unset)}");

        // A record's data: its settable instance properties (not computed ones, not static presets such as StringMatch.Present).
        static IEnumerable<System.Reflection.PropertyInfo> Fields(Type type) =>
            type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
                .Where(property => property.CanWrite && property.GetIndexParameters().Length == 0 && property.Name != "EqualityContract");
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
