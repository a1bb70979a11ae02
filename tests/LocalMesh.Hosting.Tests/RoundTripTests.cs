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

        var ratings = mesh.AddService("ratings").WithPort(9080).WithWorkload(builder.AddContainer("ratings-v1", "example/ratings", "1.0"), version: "v1");
        var reviews = mesh.AddService("reviews").WithPort(9080);
        foreach (var version in new[] { "v1", "v2" })
        {
            reviews.WithWorkload(builder.AddContainer($"reviews-{version}", "example/reviews", "1.0").WithReference(ratings), version, serviceAccount: "bookinfo-reviews");
        }

        var sentiment = mesh.AddFunction<FunctionProject>("sentiment").WithRevision(new Dictionary<string, string> { ["STRICT"] = "true" });
        var events = mesh.AddBroker("events");
        mesh.AddIngressGateway("ingress", port: 0).WithRoute(reviews);
        if (!rules)
        {
            return (builder, mesh);
        }

        reviews.WithSubset("v1")
            .WithSubset("v2", trafficPolicy: new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.Random } })
            .WithTrafficPolicy(new TrafficPolicy
            {
                LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpHeaderName = "end-user" } },
                ConnectionPool = new ConnectionPoolSettings
                {
                    Tcp = new TcpSettings { MaxConnections = 10, ConnectTimeout = TimeSpan.FromSeconds(2) },
                    Http = new HttpSettings { Http1MaxPendingRequests = 5, MaxRetries = 3, IdleTimeout = TimeSpan.FromSeconds(30) },
                },
                OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 3, Interval = TimeSpan.FromSeconds(5), BaseEjectionTime = TimeSpan.FromSeconds(30), MaxEjectionPercent = 50 },
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
                Redirect = new HttpRedirect { Uri = "/reviews", RedirectCode = 302 },
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
                        From = [new AuthorizationSource { Principals = ["cluster.local/ns/default/sa/bookinfo-productpage"] }],
                        To = [new AuthorizationOperation { Methods = ["GET"], Paths = ["/reviews/*"] }],
                        When = [new AuthorizationCondition("request.headers[end-user]") { NotValues = ["mallory"] }],
                    },
                ],
            })
            .WithAuthorizationPolicy(new AuthorizationPolicy("no-strangers", AuthorizationAction.Deny) { Namespace = "default", Rules = [new AuthorizationRule { From = [new AuthorizationSource { NotNamespaces = ["default"] }] }] });
        sentiment.WithScaling(new FunctionScaling { ContainerConcurrency = 10, MinScale = 1, MaxScale = 3, Window = TimeSpan.FromSeconds(6), Target = 50 })
            .WithTraffic("sentiment-00001", 90)
            .WithTraffic("sentiment-00002", 10, tag: "canary");
        events.WithDelivery(new DeliverySpec { Retry = 4, BackoffPolicy = BackoffPolicy.Linear, BackoffDelay = TimeSpan.FromMilliseconds(500) })
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
        Assert.All(["mallory", "bookinfo-productpage", "com.example.posted", "canary", "end-user", "00:00:07", "/v0/.*"], part => Assert.Contains(part, rules));
        Assert.Equal(rules, Rules(fromFiles.Config));
        // The app model's gateway route, exported as a Gateway and its VirtualService, is read back as them.
        Assert.Equal("ingress", Assert.Single(fromFiles.Config.Gateways).Name);
        Assert.Equal("ingress-reviews", Assert.Single(fromFiles.Config.GatewayVirtualServices).Name);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
