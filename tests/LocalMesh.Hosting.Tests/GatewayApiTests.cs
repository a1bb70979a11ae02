using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Explain;
using LocalMesh.Hosting;
using LocalMesh.Kubernetes.Export;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.Hosting.Tests;

/// <summary>
/// The Gateway API's HTTPRoutes attached to a mesh service (GAMMA), as Istio's bookinfo
/// <c>gateway-api/route-reviews-*.yaml</c> write them: backends that are version Services of the
/// files, matches, filters and timeouts, and the Gateway API's precedence between rules. Requests
/// are decided by the mesh's own route matcher (<c>mesh-explain</c>).
/// </summary>
public sealed class GatewayApiTests : IDisposable
{
    /// <summary>bookinfo's version Services (platform/kube/bookinfo-versions.yaml's shape), which the routes name as backends.</summary>
    private static readonly string Versions = string.Join("---\n", new[] { "v1", "v2", "v3" }.Select(version => $$"""
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews-{{version}}
        spec:
          ports:
          - {port: 9080, name: http}
          selector: {app: reviews, version: {{version}}}

        """));

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("localmesh-gateway-api-");

    public void Dispose() => _folder.Delete(recursive: true);

    private (IDistributedApplicationBuilder Builder, IResourceBuilder<MeshResource> Mesh) App(string routes, params string[] args)
    {
        File.WriteAllText(Path.Combine(_folder.FullName, "versions.yaml"), Versions.ReplaceLineEndings("\n"));
        File.WriteAllText(Path.Combine(_folder.FullName, "routes.yaml"), routes.ReplaceLineEndings("\n"));
        var builder = DistributedApplication.CreateBuilder(args);
        var mesh = builder.AddMesh("mesh").WithConfigurationFiles(_folder.FullName);
        mesh.AddService("productpage").WithWorkload(builder.AddExecutable("productpage-v1", "dotnet", "."));
        var reviews = mesh.AddService("reviews").WithPort(9080);
        foreach (var version in new[] { "v1", "v2", "v3" })
        {
            reviews.WithWorkload(builder.AddExecutable($"reviews-{version}", "dotnet", "."), version: version);
        }

        return (builder, mesh);
    }

    /// <summary>An HTTPRoute named reviews attached to the reviews Service (GAMMA), with <paramref name="rules"/>: its rules' YAML list, unindented.</summary>
    private static string ReviewsRoute(string rules) => $$"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: reviews
        spec:
          parentRefs:
          - {group: "", kind: Service, name: reviews, port: 9080}
          rules:
        {{string.Join("\n", rules.ReplaceLineEndings("\n").Split('\n').Select(line => line.Length == 0 ? line : "  " + line))}}
        """;

    private static CompiledMesh Compile((IDistributedApplicationBuilder Builder, IResourceBuilder<MeshResource> Mesh) app) =>
        MeshModelCompiler.Compile(new DistributedApplicationModel(app.Builder.Resources), app.Mesh.Resource);

    private static RequestExplanation Explain(MeshConfig config, string path, IReadOnlyDictionary<string, string>? headers = null, string method = "GET") =>
        RequestExplainer.Explain(config, new ExplainRequest("productpage-v1", "reviews", path) { Headers = headers ?? ImmutableDictionary<string, string>.Empty, Method = method });

    [Fact]
    public void TrafficShifting9010AsTheIstioTasksGatewayApiTabWritesItSendsNinetyPercentToV1()
    {
        var compiled = Compile(App("""
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: HTTPRoute
            metadata:
              name: reviews
            spec:
              parentRefs:
              - kind: Service
                name: reviews
                port: 9080
              rules:
              - backendRefs:
                - name: reviews-v1
                  port: 9080
                  weight: 90
                - name: reviews-v2
                  port: 9080
                  weight: 10
            """));

        Assert.Empty(compiled.Warnings);
        var reviews = compiled.Config.Services.Single(service => service.Name == "reviews");
        Assert.Contains(reviews.DestinationRule!.Subsets!, subset => subset.Name == "reviews-v1" && subset.Labels["version"] == "v1");
        Assert.Equal(new Dictionary<string, double> { ["reviews/reviews-v1"] = 90, ["reviews/reviews-v2"] = 10 }, Explain(compiled.Config, "/reviews/0").Destinations);
    }

    [Fact]
    public void RequestRoutingSendsJasonToV2AndEveryoneElseToV1()
    {
        var config = Compile(App("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: reviews
            spec:
              parentRefs:
              - group: ""
                kind: Service
                name: reviews
                port: 9080
              rules:
              - matches:
                - headers:
                  - name: end-user
                    value: jason
                backendRefs:
                - name: reviews-v2
                  port: 9080
              - backendRefs:
                - name: reviews-v1
                  port: 9080
            """)).Config;

        Assert.Equal(["reviews/reviews-v2"], Explain(config, "/reviews/0", new Dictionary<string, string> { ["end-user"] = "jason" }).Destinations.Keys);
        Assert.Equal(["reviews/reviews-v1"], Explain(config, "/reviews/0", new Dictionary<string, string> { ["end-user"] = "bob" }).Destinations.Keys);
    }

    [Fact]
    public void RulesAreOrderedAsTheGatewayApiOrdersThemExactPathThenLongestPrefixThenMethodThenHeadersNotByFileOrder()
    {
        var config = Compile(App("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: broad
            spec:
              parentRefs:
              - {kind: Service, name: reviews}
              rules:
              - matches:
                - path: {type: PathPrefix, value: /api}
                backendRefs:
                - {name: reviews-v1, port: 9080}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: narrow
            spec:
              parentRefs:
              - {kind: Service, name: reviews}
              rules:
              - matches:
                - path: {type: PathPrefix, value: /api/v2}
                backendRefs:
                - {name: reviews-v3, port: 9080}
              - matches:
                - path: {type: Exact, value: /api/special}
                backendRefs:
                - {name: reviews-v2, port: 9080}
              - matches:
                - path: {type: PathPrefix, value: /api}
                  method: POST
                backendRefs:
                - {name: reviews-v2, port: 9080}
            """)).Config;

        Assert.Equal(["reviews/reviews-v2"], Explain(config, "/api/special").Destinations.Keys);
        Assert.Equal(["reviews/reviews-v3"], Explain(config, "/api/v2/books").Destinations.Keys);
        Assert.Equal(["reviews/reviews-v3"], Explain(config, "/api/v2").Destinations.Keys);
        Assert.Equal(["reviews/reviews-v2"], Explain(config, "/api/books", method: "POST").Destinations.Keys);
        Assert.Equal(["reviews/reviews-v1"], Explain(config, "/api/books").Destinations.Keys);
        // A path prefix matches whole segments: /apix is not under /api, and no rule matches (404).
        Assert.Null(Explain(config, "/apix").Route);
    }

    /// <summary>Three routes on reviews whose rules overlap, written from the specification's precedence rules (not its conformance files).</summary>
    private const string Overlapping = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: first
        spec:
          parentRefs:
          - {kind: Service, name: reviews}
          rules:
          - matches:
            - path: {type: PathPrefix, value: /}
            backendRefs: [{name: reviews-v1, port: 9080}]
          - matches:
            - headers: [{name: version, value: two}]
            backendRefs: [{name: reviews-v2, port: 9080}]
          - matches:
            - path: {type: PathPrefix, value: /v2}
              headers: [{name: version, value: two}]
            backendRefs: [{name: reviews-v3, port: 9080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: second
        spec:
          parentRefs:
          - {kind: Service, name: reviews}
          rules:
          - matches:
            - path: {type: Exact, value: /exact}
            backendRefs: [{name: reviews-v2, port: 9080}]
          - matches:
            - path: {type: PathPrefix, value: /exact}
            backendRefs: [{name: reviews-v3, port: 9080}]
          - matches:
            - path: {type: PathPrefix, value: /post}
              method: POST
            backendRefs: [{name: reviews-v3, port: 9080}]
          - matches:
            - path: {type: PathPrefix, value: /post}
            backendRefs: [{name: reviews-v2, port: 9080}]
          - matches:
            - queryParams: [{name: animal, value: whale}]
            backendRefs: [{name: reviews-v3, port: 9080}]
          - matches:
            - queryParams: [{type: RegularExpression, name: id, value: "[0-9]+"}]
              headers: [{type: RegularExpression, name: team, value: "books|music"}]
            backendRefs: [{name: reviews-v2, port: 9080}]
          - matches:
            - path: {type: RegularExpression, value: "/regex/[0-9]+"}
            backendRefs: [{name: reviews-v2, port: 9080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: third
        spec:
          parentRefs:
          - {kind: Service, name: reviews}
          rules:
          - matches:
            - path: {type: PathPrefix, value: /v2}
              headers: [{name: version, value: two}]
            backendRefs: [{name: reviews-v1, port: 9080}]
          - matches:
            - path: {type: PathPrefix, value: /trailing/}
            backendRefs: [{name: reviews-v3, port: 9080}]
        """;

    [Theory]
    [InlineData("GET", "/", "", "reviews-v1")]                               // the catch-all prefix
    [InlineData("GET", "/anything/else", "", "reviews-v1")]
    [InlineData("GET", "/", "version=two", "reviews-v2")]                    // a header match beats none at the same prefix
    [InlineData("GET", "/v2/books", "version=two", "reviews-v3")]            // the longer prefix wins; of two equal rules, the route read first (first, not third)
    [InlineData("GET", "/v2", "version=two", "reviews-v3")]                  // a prefix matches its own path
    [InlineData("GET", "/v2/books", "", "reviews-v1")]                       // without the header, the /v2 rules do not match
    [InlineData("GET", "/v2x", "version=two", "reviews-v2")]                 // /v2x is not under /v2 (segments)
    [InlineData("GET", "/exact", "", "reviews-v2")]                          // exact beats a prefix of the same path
    [InlineData("GET", "/exact/more", "", "reviews-v3")]
    [InlineData("GET", "/exactly", "", "reviews-v1")]
    [InlineData("POST", "/post/1", "", "reviews-v3")]                        // a method match beats none at the same prefix
    [InlineData("GET", "/post/1", "", "reviews-v2")]
    [InlineData("GET", "/?animal=whale", "", "reviews-v3")]                   // a query match beats none at the same prefix
    [InlineData("GET", "/?animal=dolphin", "", "reviews-v1")]
    [InlineData("GET", "/?id=42", "team=books", "reviews-v2")]                // regex query and header values
    [InlineData("GET", "/?id=x42", "team=books", "reviews-v1")]
    [InlineData("GET", "/regex/42", "", "reviews-v1")]                        // a prefix (/) outranks any regex path
    [InlineData("GET", "/trailing", "", "reviews-v3")]                        // a prefix's trailing slash is not part of the match
    [InlineData("GET", "/trailing/x", "", "reviews-v3")]
    public void PrecedenceAcrossRulesAndRoutesIsTheSpecifications(string method, string pathAndQuery, string header, string backend)
    {
        var config = Compile(App(Overlapping)).Config;
        var headers = header.Length == 0 ? null : new Dictionary<string, string> { [header.Split('=')[0]] = header.Split('=')[1] };

        Assert.Equal([$"reviews/{backend}"], Explain(config, pathAndQuery, headers, method).Destinations.Keys);
    }

    [Fact]
    public void AGrpcRouteMatchesCallsByServiceAndMethodAsThePathsTheyAre()
    {
        var config = Compile(App("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata:
              name: reviews-grpc
            spec:
              parentRefs:
              - {kind: Service, name: reviews}
              rules:
              - matches:
                - method: {service: bookinfo.Reviews, method: Get}
                backendRefs: [{name: reviews-v2, port: 9080}]
              - matches:
                - method: {service: bookinfo.Reviews}
                backendRefs: [{name: reviews-v3, port: 9080}]
              - matches:
                - method: {method: Health}
                backendRefs: [{name: reviews-v1, port: 9080}]
            """)).Config;

        Assert.Equal(["reviews/reviews-v2"], Explain(config, "/bookinfo.Reviews/Get", method: "POST").Destinations.Keys);
        Assert.Equal(["reviews/reviews-v3"], Explain(config, "/bookinfo.Reviews/List", method: "POST").Destinations.Keys);
        Assert.Equal(["reviews/reviews-v1"], Explain(config, "/grpc.health.v1.Health/Health", method: "POST").Destinations.Keys);
        Assert.Null(Explain(config, "/bookinfo.Ratings/Get", method: "POST").Route);
    }

    [Fact]
    public void ATcpRouteOnATcpServiceSplitsItsConnectionsByWeight()
    {
        var app = App("""
            apiVersion: v1
            kind: Service
            metadata:
              name: cache-v2
            spec:
              ports:
              - {port: 6379, name: tcp}
              selector: {app: cache, version: v2}
            ---
            apiVersion: gateway.networking.k8s.io/v1alpha2
            kind: TCPRoute
            metadata:
              name: cache
            spec:
              parentRefs:
              - {kind: Service, name: cache, port: 6379}
              rules:
              - backendRefs:
                - {name: cache, port: 6379, weight: 80}
                - {name: cache-v2, port: 6379, weight: 20}
            """);
        var cache = app.Mesh.AddService("cache").WithPort(6379);
        foreach (var version in new[] { "v1", "v2" })
        {
            cache.WithWorkload(app.Builder.AddExecutable($"cache-{version}", "dotnet", ".").WithEndpoint(scheme: "tcp", name: "tcp"), version: version);
        }

        var compiled = Compile(app);

        var service = compiled.Config.Services.Single(service => service.Name == "cache");
        Assert.Equal(ServiceProtocol.Tcp, service.Protocol);
        var route = Assert.Single(service.Tcp);
        Assert.Equal([(new Destination("cache"), 80), (new Destination("cache", "cache-v2"), 20)], route.Route!.Select(destination => (destination.Destination, destination.Weight ?? 0)));
        Assert.Contains(service.DestinationRule!.Subsets!, subset => subset.Name == "cache-v2" && subset.Labels["version"] == "v2");
    }

    [Fact]
    public void FiltersAndTimeoutsBecomeTheRoutesHeadersRewriteRedirectMirrorAndTimeouts()
    {
        var reviews = Compile(App(ReviewsRoute("""
            - matches:
              - path: {type: PathPrefix, value: /old}
              filters:
              - type: RequestRedirect
                requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /new}, statusCode: 301}
            - matches:
              - path: {type: PathPrefix, value: /api}
              filters:
              - type: RequestHeaderModifier
                requestHeaderModifier:
                  set: [{name: x-canary, value: "1"}]
                  remove: [x-debug]
              - type: URLRewrite
                urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v1}}
              - type: RequestMirror
                requestMirror:
                  backendRef: {name: reviews-v3, port: 9080}
                  percent: 25
              backendRefs:
              - {name: reviews-v1, port: 9080}
              timeouts: {request: 3s, backendRequest: 1s}
            """))).Config.Services.Single(service => service.Name == "reviews");

        var redirect = reviews.Http.First(route => route.Redirect is not null);
        Assert.Equal(("/new", 301), (redirect.Redirect!.Uri, redirect.Redirect.RedirectCode));
        // /api is the path itself (rewritten to /v1) and /api/... (rewritten to /v1/...).
        var api = reviews.Http.Where(route => route.Rewrite is not null).ToList();
        Assert.Equal([("/api", "/v1"), ("/api/", "/v1/")], api.Select(route => (route.Match![0].Uri!.Value, route.Rewrite!.Uri)));
        Assert.All(api, route =>
        {
            Assert.Equal("1", route.Headers!.Request!.Set!["x-canary"]);
            Assert.Equal(new Destination("reviews", "reviews-v3"), route.Mirror);
            Assert.Equal(25, route.MirrorPercentage);
            Assert.Equal(TimeSpan.FromSeconds(3), route.Timeout);
            Assert.Equal(TimeSpan.FromSeconds(1), route.Retries!.PerTryTimeout);
        });
    }

    [Fact]
    public void AVirtualServiceAndAnHttpRouteForOneServiceLoadWithTheVirtualServiceInForceAndAWarning()
    {
        File.WriteAllText(Path.Combine(_folder.FullName, "vs.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: reviews
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {host: reviews}
            """.ReplaceLineEndings("\n"));
        var compiled = Compile(App(ReviewsRoute("""
            - backendRefs:
              - {name: reviews-v2, port: 9080}
            """)));

        Assert.Contains(compiled.Warnings, warning => warning.Contains("IST0109 HTTPRoute default/reviews", StringComparison.Ordinal) && warning.Contains("the VirtualService is in force", StringComparison.Ordinal));
        Assert.Equal(["reviews"], Explain(compiled.Config, "/").Destinations.Keys);
    }

    [Fact]
    public void ABackendThatIsNoServiceAndARouteAttachedToAGatewayAreWarnedAboutAndLoad()
    {
        var compiled = Compile(App("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: reviews
            spec:
              parentRefs:
              - {kind: Service, name: reviews}
              rules:
              - backendRefs:
                - {name: reviews-v9, port: 9080}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: bookinfo
            spec:
              parentRefs:
              - name: bookinfo-gateway
              rules:
              - backendRefs:
                - {name: productpage, port: 9080}
            """));

        Assert.Contains(compiled.Warnings, warning => warning.Contains("Referenced backend not found: Service \"reviews-v9\"", StringComparison.Ordinal));
        Assert.DoesNotContain(compiled.Warnings, warning => warning.Contains("IST0101", StringComparison.Ordinal)); // said once, where it was read
        Assert.Contains("requests sent to it get 500, as the specification says", Explain(compiled.Config, "/").ToString(), StringComparison.Ordinal);
        Assert.Contains(compiled.Warnings, warning => warning.Contains("HTTPRoute default/bookinfo: spec.parentRefs[0].name: Referenced parent not found: no file defines Gateway default/bookinfo-gateway", StringComparison.Ordinal));
    }

    [Fact]
    public void AGatewayOfClassIstioConfiguresTheIngressGatewayAndServesItsHttpRoutesAsBookinfosGatewayApiFilesDo()
    {
        var app = App("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata:
              name: bookinfo-gateway
            spec:
              gatewayClassName: istio
              listeners:
              - name: http
                port: 80
                protocol: HTTP
                allowedRoutes:
                  namespaces:
                    from: Same
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: bookinfo
            spec:
              parentRefs:
              - name: bookinfo-gateway
              rules:
              - matches:
                - path:
                    type: Exact
                    value: /productpage
                - path:
                    type: PathPrefix
                    value: /static
                backendRefs:
                - name: productpage
                  port: 9080
            """);
        app.Mesh.AddIngressGateway("ingress", port: 0);
        var compiled = Compile(app);

        var gateway = Assert.Single(compiled.Config.Gateways);
        Assert.True(gateway.SelectsIngressGateway);
        RequestExplanation Through(string path) => RequestExplainer.Explain(compiled.Config, new ExplainRequest("ingress", "bookinfo.example.com", path));
        Assert.Equal(["productpage"], Through("/productpage").Destinations.Keys);
        Assert.Equal(["productpage"], Through("/static/img/logo.png").Destinations.Keys);
        Assert.Null(Through("/").Route);
        Assert.Null(Through("/staticfiles").Route);
    }

    [Fact]
    public async Task TheExportCarriesTheTeamsHttpRoutesAndVersionServicesInsteadOfAVirtualServiceMadeOfThem()
    {
        var app = App(ReviewsRoute("""
            - backendRefs:
              - {name: reviews-v1, port: 9080}
            """), "--operation", "publish", "--output-path", Path.GetTempPath());
        using var built = app.Builder.Build();

        var model = await KubernetesModelBuilder.BuildAsync(
            built.Services.GetRequiredService<DistributedApplicationModel>(), built.Services.GetRequiredService<DistributedApplicationExecutionContext>(), CancellationToken.None);

        var reviews = model.Mesh.Services.Single(service => service.Name == "reviews");
        Assert.Null(IstioExporter.VirtualService(model, reviews));
        Assert.Null(IstioExporter.DestinationRule(model, reviews));
        Assert.Equal(["HTTPRoute/reviews", "Service/reviews-v1", "Service/reviews-v2", "Service/reviews-v3"], model.Carried.Select(item => $"{item.Kind}/{item.Name}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AnExperimentalRetryRetriesAsIstioMakesItConnectionFailuresAndItsCodesEachTryBoundedByTheBackendRequestTimeout()
    {
        var config = Compile(App(ReviewsRoute("""
            - matches:
              - path: {type: PathPrefix, value: /flaky}
              backendRefs:
              - {name: reviews-v1, port: 9080}
              retry: {attempts: 3, codes: [502, 503]}
              timeouts: {request: 2s, backendRequest: 500ms}
            - matches:
              - path: {type: PathPrefix, value: /once}
              backendRefs:
              - {name: reviews-v1, port: 9080}
              retry: {attempts: 0}
            """))).Config;

        var flaky = config.Services.Single(service => service.Name == "reviews").Http.First(route => route.Name == "reviews.0").Retries!;
        Assert.Equal((3, TimeSpan.FromMilliseconds(500), "connect-failure,refused-stream,unavailable,cancelled,502,503"), (flaky.Attempts, flaky.PerTryTimeout!.Value, flaky.RetryOn));
        Assert.Contains("retries        up to 3 on connect-failure,refused-stream,unavailable,cancelled,502,503", Explain(config, "/flaky/1").ToString());
        Assert.Equal(0, config.Services.Single(service => service.Name == "reviews").Http.First(route => route.Name == "reviews.1").Retries!.Attempts);
    }

    [Fact]
    public void AVersionServiceIsAHostOfItsOwnWithItsOwnDestinationRulesPolicyNotTheServices()
    {
        var compiled = Compile(App(ReviewsRoute("""
            - matches:
              - headers:
                - {name: end-user, value: jason}
              backendRefs:
              - {name: reviews-v2, port: 9080}
            - backendRefs:
              - {name: reviews-v1, port: 9080}
            """) + """

            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: reviews
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: reviews-v1
            spec:
              host: reviews-v1
              trafficPolicy:
                loadBalancer: {simple: RANDOM}
            """));

        Assert.Empty(compiled.Warnings);
        // reviews-v1's own rule applies to it; reviews-v2 has none, so Istio's default applies, not reviews' rule.
        Assert.Contains("load balancer RANDOM", Explain(compiled.Config, "/reviews/0").ToString());
        Assert.Contains("load balancer LEAST_REQUEST", Explain(compiled.Config, "/reviews/0", new Dictionary<string, string> { ["end-user"] = "jason" }).ToString());
        // The dashboard's "Rules from" names the objects in force, the HTTPRoute first.
        Assert.Matches(@"^HTTPRoute default/reviews \(.*routes.yaml:\d+:\d+\), DestinationRule default/reviews-v1 \(.*\), DestinationRule default/reviews \(.*\)$", compiled.RuleSources["reviews"]);
    }

    /// <summary>The bookinfo app with its routes written in C#: jason to v2 and everyone else to v1 with a timeout, an ingress for productpage, and a fault on ratings.</summary>
    private static (IDistributedApplicationBuilder Builder, IResourceBuilder<MeshResource> Mesh) CSharpApp(string output, bool rules = true, string? files = null)
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", output]);
        var mesh = builder.AddMesh("mesh").WithGatewayApi().WithDefaultLoadBalancer(SimpleLoadBalancer.LeastRequest);
        if (files is not null)
        {
            mesh.WithConfigurationFiles(files);
        }

        var ratings = mesh.AddService("ratings").WithPort(9080).WithWorkload(builder.AddContainer("ratings-v1", "example/ratings", "1.0"), version: "v1");
        var reviews = mesh.AddService("reviews").WithPort(9080);
        foreach (var version in new[] { "v1", "v2", "v3" })
        {
            reviews.WithWorkload(builder.AddContainer($"reviews-{version}", "example/reviews", "1.0").WithReference(ratings), version: version);
        }

        var productpage = mesh.AddService("productpage").WithPort(9080).WithWorkload(builder.AddContainer("productpage-v1", "example/productpage", "1.0").WithReference(reviews), version: "v1");
        mesh.AddIngressGateway("ingress", port: 0).WithRoute(productpage);
        if (!rules)
        {
            return (builder, mesh);
        }

        reviews.WithSubset("v1").WithSubset("v2").WithSubset("v3")
            .WithTrafficPolicy(new TrafficPolicy { OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 3 } })
            .WithHttpRoute(new HttpRoute
            {
                Name = "jason",
                Match = [new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["end-user"] = StringMatch.Exact("jason") } }],
                Route = [new HttpRouteDestination(new Destination("reviews", "v2"))],
                Headers = new Headers { Request = new HeaderOperations { Set = new Dictionary<string, string> { ["x-canary"] = "1" } } },
            })
            .WithHttpRoute(new HttpRoute
            {
                Name = "everyone-else",
                Route = [new HttpRouteDestination(new Destination("reviews", "v1"), 90), new HttpRouteDestination(new Destination("reviews", "v3"), 10)],
                Timeout = TimeSpan.FromMilliseconds(500),
            });
        ratings.WithSubset("v1").WithHttpRoute(new HttpRoute
        {
            Route = [new HttpRouteDestination(new Destination("ratings", "v1"))],
            Fault = new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromSeconds(2), 100) },
        });
        return (builder, mesh);
    }

    private static async Task<(CompiledMesh Compiled, ExportResult Export)> ExportAsync((IDistributedApplicationBuilder Builder, IResourceBuilder<MeshResource> Mesh) app)
    {
        using var built = app.Builder.Build();
        var model = await KubernetesModelBuilder.BuildAsync(
            built.Services.GetRequiredService<DistributedApplicationModel>(), built.Services.GetRequiredService<DistributedApplicationExecutionContext>(), CancellationToken.None);
        return (MeshModelCompiler.Compile(built.Services.GetRequiredService<DistributedApplicationModel>(), app.Mesh.Resource), KubernetesExport.Export(model));
    }

    private static string Yaml(ExportResult export, string path) => export.Files.Single(file => file.Path == path).ToYaml();

    [Fact]
    public async Task WithGatewayApiTheExportWritesHttpRoutesAndVersionServicesWhereTheySayTheSameAndKeepsAVirtualServiceForAFault()
    {
        var (_, export) = await ExportAsync(CSharpApp(_folder.FullName));

        var reviews = Yaml(export, "base/reviews.yaml");
        Assert.DoesNotContain("kind: VirtualService", reviews);
        Assert.Contains("""
            kind: HTTPRoute
            metadata:
              labels:
                app.kubernetes.io/managed-by: localmesh
              name: reviews
            """, reviews);
        Assert.Contains("""
            spec:
              parentRefs:
              - group: ""
                kind: Service
                name: reviews
                port: 9080
              rules:
              - matches:
                - headers:
                  - type: Exact
                    name: end-user
                    value: jason
                filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier:
                    set:
                    - name: x-canary
                      value: "1"
                backendRefs:
                - name: reviews-v2
                  port: 9080
              - backendRefs:
                - name: reviews-v1
                  port: 9080
                  weight: 90
                - name: reviews-v3
                  port: 9080
                  weight: 10
                timeouts:
                  request: 500ms
            """, reviews);
        // A Service per version the rules name, selecting that version's pods; the service's own rule keeps its
        // outlier detection (and the mesh's load balancer) and each version Service gets it too, as Istio applies rules by host.
        Assert.Contains("""
              name: reviews-v1
            """, reviews);
        Assert.Contains("""
              selector:
                app: reviews
                version: v1
            """, reviews);
        Assert.Equal(4, reviews.Split("kind: DestinationRule").Length - 1);
        Assert.DoesNotContain("subsets:", reviews);

        // ratings' delay is no Gateway API: its VirtualService stays, and the export says why.
        Assert.Contains("kind: VirtualService", Yaml(export, "base/ratings.yaml"));
        Assert.DoesNotContain("kind: HTTPRoute", Yaml(export, "base/ratings.yaml"));
        Assert.Contains(export.Warnings, warning => warning.StartsWith("ratings: its routes stay a VirtualService under WithGatewayApi, because a route injects faults", StringComparison.Ordinal));
        Assert.Contains(export.Warnings, warning => warning.Contains("Gateway API's CRDs", StringComparison.Ordinal));

        // The ingress: a Gateway of class istio on Istio's ingress gateway, and its HTTPRoute to productpage.
        var ingress = Yaml(export, "base/ingress.yaml");
        Assert.DoesNotContain("networking.istio.io", ingress);
        Assert.Contains("""
            spec:
              gatewayClassName: istio
              listeners:
              - name: http
                port: 80
                protocol: HTTP
                allowedRoutes:
                  namespaces:
                    from: Same
              addresses:
              - type: Hostname
                value: istio-ingressgateway.istio-system.svc.cluster.local
            """, ingress);
        Assert.Contains("""
              parentRefs:
              - name: ingress
              rules:
              - backendRefs:
                - name: productpage
                  port: 9080
            """, ingress);

        // deploy applies them, after the Services and Istio's objects.
        var steps = LocalMesh.Kubernetes.Deploy.DeployPlan.For(export, "development").Steps.Select(step => $"{step.ApiVersion} {step.Kind} {step.Metadata.Name}").ToList();
        Assert.Equal(
            ["gateway.networking.k8s.io/v1 Gateway ingress", "gateway.networking.k8s.io/v1 HTTPRoute ingress-productpage", "gateway.networking.k8s.io/v1 HTTPRoute reviews"],
            steps.Where(step => step.StartsWith("gateway.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.True(steps.IndexOf("v1 Service reviews-v1") < steps.IndexOf("gateway.networking.k8s.io/v1 HTTPRoute reviews"));
    }

    [Fact]
    public async Task TheGatewayApiExportLoadedBackRoutesAsTheCSharpRoutesDidAndExportsAgainByteForByte()
    {
        var first = Path.Combine(_folder.FullName, "first");
        var (fromCode, export) = await ExportAsync(CSharpApp(first));
        await export.WriteAsync(first);

        var (fromFiles, again) = await ExportAsync(CSharpApp(Path.Combine(_folder.FullName, "second"), rules: false, files: first));
        Assert.True(fromFiles.Warnings.All(warning => warning.StartsWith("Kept for the export", StringComparison.Ordinal)), string.Join("\n", fromFiles.Warnings));

        // Every request is decided alike: same version, same timeout, same header, same fault.
        foreach (var (host, path, user) in new[] { ("reviews", "/reviews/0", "jason"), ("reviews", "/reviews/0", "kim"), ("reviews", "/", null), ("ratings", "/ratings/0", null) })
        {
            var request = new ExplainRequest("productpage-v1", host, path) { Headers = user is null ? ImmutableDictionary<string, string>.Empty : ImmutableDictionary<string, string>.Empty.Add("end-user", user) };
            var (code, files) = (RequestExplainer.Explain(fromCode.Config, request), RequestExplainer.Explain(fromFiles.Config, request));
            Assert.Equal(code.Destinations.Values, files.Destinations.Values);
            Assert.Equal(code.Destinations.Keys.Select(Version), files.Destinations.Keys.Select(Version));
            Assert.Equal(Decisions(code), Decisions(files));
        }

        // The Gateway API objects, with the version Services and their DestinationRules, read back and carried, are written again as they were.
        string GatewayApi(ExportResult result) => string.Join("---\n", result.Files.SelectMany(file => file.Objects)
            .Select(item => item is CarriedObject carried ? carried.Yaml : k8s.KubernetesYaml.Serialize(item).TrimEnd('\n') + "\n")
            .Where(yaml => yaml.Contains("gateway.networking.k8s.io", StringComparison.Ordinal)
                || yaml.Contains("name: reviews-v", StringComparison.Ordinal) && (yaml.Contains("kind: Service\n", StringComparison.Ordinal) || yaml.Contains("kind: DestinationRule\n", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal));
        var written = GatewayApi(export);
        Assert.Equal(3 + 3 + 3, written.Split("---\n").Length); // the Gateway and two HTTPRoutes, three version Services and their rules
        Assert.Equal(written, GatewayApi(again));

        static string[] Decisions(RequestExplanation explanation) =>
            [.. explanation.Steps.Where(step => step.Topic is "fault" or "timeout" or "retries").Select(step => $"{step.Topic}: {step.Text}")];

        static string Version(string cluster) => cluster.Replace("reviews/reviews-", "reviews/", StringComparison.Ordinal).Replace("ratings/ratings-", "ratings/", StringComparison.Ordinal);
    }
}
