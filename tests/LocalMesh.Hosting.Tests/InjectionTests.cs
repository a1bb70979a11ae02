using LocalMesh.Emulator.Configuration;
using LocalMesh.Hosting;
using LocalMesh.Kubernetes.Export;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.Hosting.Tests;

/// <summary>
/// Sidecars for every project with one call (<c>WithAutomaticSidecars</c>), on an app shaped like
/// Aspire's starter template; the wiring is checked on the model, without starting a process.
/// </summary>
public sealed class InjectionTests
{
    // Two of the sample's projects stand in for the template's (AddProject wants a project file); no launch profile, so the endpoints are the test's.
    private sealed class ApiService : IProjectMetadata
    {
        public string ProjectPath => Sample("Details");
    }

    private sealed class Web : IProjectMetadata
    {
        public string ProjectPath => Sample("ProductPage");
    }

    private static string Sample(string project)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "Dev.sln")))
        {
            directory = directory.Parent ?? throw new InvalidOperationException("No Dev.sln above the test's folder.");
        }

        return Path.Combine(directory.FullName, "samples", project, $"{project}.csproj");
    }

    /// <summary>The starter template's shape: a web front end that references an API with three replicas; its only LocalMesh line is the injection.</summary>
    private static (IDistributedApplicationBuilder Builder, IResourceBuilder<MeshResource> Mesh, IResourceBuilder<ProjectResource> Api, IResourceBuilder<ProjectResource> Web) Starter()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh").WithAutomaticSidecars();
        var api = builder.AddProject<ApiService>("apiservice", launchProfileName: null).WithHttpEndpoint().WithHttpsEndpoint().WithReplicas(3);
        var web = builder.AddProject<Web>("webfrontend", launchProfileName: null).WithHttpEndpoint().WithExternalHttpEndpoints().WithReference(api);
        return (builder, mesh, api, web);
    }

    private static CompiledMesh Compile(IDistributedApplicationBuilder builder, IResourceBuilder<MeshResource> mesh) =>
        MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource);

    [Fact]
    public void EveryProjectBecomesTheWorkloadOfAServiceOfItsNameAndEachReferenceACallThroughTheCallersSidecar()
    {
        var (builder, mesh, _, _) = Starter();

        var compiled = Compile(builder, mesh);

        Assert.Equal(["apiservice", "webfrontend"], compiled.Config.Services.Select(s => s.Name).Order());
        var api = compiled.Config.Workloads.Single(w => w.Name == "apiservice");
        Assert.Equal(("apiservice", 3, "apiservice"), (api.Service, api.Replicas, api.ServiceAccount));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "apiservice", ["version"] = "v1" }, api.Labels);
        Assert.Equal(["egress|apiservice", "egress|webfrontend", "inbound|apiservice|0", "inbound|apiservice|1", "inbound|apiservice|2", "inbound|webfrontend|0", "ingress|istio-ingressgateway|webfrontend", "outbound|webfrontend|apiservice"],
            compiled.Config.Listeners.Select(l => l.Name).Order());
        var call = Assert.Single(compiled.Calls);
        Assert.Equal(("webfrontend", "apiservice"), (call.Caller.Name, call.Callee.Name));
        Assert.Equal(["apiservice", "webfrontend"], compiled.Injected.Select(r => r.Name).Order());
    }

    [Fact]
    public async Task TheCallersReferencesBecomeItsSidecarAndTheHttpsEntriesOfServiceDiscoveryAreDropped()
    {
        var (builder, mesh, api, web) = Starter();
        var compiled = Compile(builder, mesh);
        var sidecar = new Uri("http://127.0.0.1:41000");

        // What Aspire writes for WithReference(api): both of the API's endpoints.
        Assert.Superset(new HashSet<string> { "services__apiservice__http__0", "services__apiservice__https__0" }, (await EnvironmentAsync(web.Resource, allValues: true)).Keys.ToHashSet());

        SidecarWiring.RouteThroughSidecar(web.Resource, api.Resource, sidecar);
        var environment = await EnvironmentAsync(web.Resource);

        Assert.Equal("http://127.0.0.1:41000", environment["services__apiservice__http__0"]);
        Assert.DoesNotContain("services__apiservice__https__0", environment.Keys);
        // Whatever else refers to the API's endpoints (Aspire's APISERVICE_HTTP, ..._HTTPS) is the sidecar too.
        Assert.All(environment.Where(pair => pair.Key.StartsWith("APISERVICE_", StringComparison.Ordinal)), pair => Assert.Equal("http://127.0.0.1:41000", pair.Value));
        Assert.Single(compiled.Calls);
    }

    [Fact]
    public async Task TheExportGivesTheCallerTheCalleesClusterNameOverHttpAsLocally()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", Path.GetTempPath()]);
        builder.AddMesh("mesh").WithAutomaticSidecars();
        var api = builder.AddProject<ApiService>("apiservice", launchProfileName: null).WithHttpEndpoint().WithHttpsEndpoint().WithReplicas(3);
        builder.AddProject<Web>("webfrontend", launchProfileName: null).WithHttpEndpoint().WithReference(api);
        using var app = builder.Build();

        var model = await KubernetesModelBuilder.BuildAsync(
            app.Services.GetRequiredService<DistributedApplicationModel>(), app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), CancellationToken.None);

        var web = model.Workloads.Single(workload => workload.Name == "webfrontend").Environment.ToDictionary();
        Assert.Equal("http://apiservice.default.svc.cluster.local:80", web["services__apiservice__http__0"]);
        Assert.DoesNotContain("services__apiservice__https__0", web.Keys);
        Assert.Equal(3, model.Workloads.Single(workload => workload.Name == "apiservice").Replicas);
        Assert.DoesNotContain(model.Warnings, warning => warning.Contains("not part of the mesh", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnExternalEndpointIsExportedBehindIstiosIngressGatewayAsItIsServedLocally()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", Path.GetTempPath()]);
        builder.AddMesh("mesh").WithAutomaticSidecars();
        var api = builder.AddProject<ApiService>("apiservice", launchProfileName: null).WithHttpEndpoint();
        builder.AddProject<Web>("webfrontend", launchProfileName: null).WithHttpEndpoint().WithExternalHttpEndpoints().WithReference(api);
        using var app = builder.Build();

        var model = await KubernetesModelBuilder.BuildAsync(
            app.Services.GetRequiredService<DistributedApplicationModel>(), app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), CancellationToken.None);

        Assert.Equal(new GatewaySpec("webfrontend-gateway", 80, "webfrontend"), Assert.Single(model.Gateways));
        var ingress = IstioExporter.Ingress(model).ToList();
        var gateway = Assert.Single(ingress.OfType<IstioGateway>());
        Assert.Equal(("webfrontend-gateway", 80, "*"), (gateway.Metadata.Name, gateway.Spec.Servers[0].Port.Number, gateway.Spec.Servers[0].Hosts[0]));
        var route = Assert.Single(ingress.OfType<IstioVirtualService>());
        Assert.Equal(["webfrontend-gateway"], route.Spec.Gateways);
        Assert.Equal("webfrontend", route.Spec.Http.Single().Route!.Single().Destination.Host);
    }

    [Fact]
    public async Task SeveralExternalEndpointsAreExportedBehindIstiosIngressGatewayEachOnAHostOfItsOwn()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", Path.GetTempPath()]);
        builder.AddMesh("mesh").WithAutomaticSidecars().WithIngressDomain("shop.example.com");
        var api = builder.AddProject<ApiService>("apiservice", launchProfileName: null).WithHttpEndpoint().WithExternalHttpEndpoints();
        builder.AddProject<Web>("webfrontend", launchProfileName: null).WithHttpEndpoint().WithExternalHttpEndpoints().WithReference(api);
        using var app = builder.Build();

        var model = await KubernetesModelBuilder.BuildAsync(
            app.Services.GetRequiredService<DistributedApplicationModel>(), app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), CancellationToken.None);

        var ingress = IstioExporter.Ingress(model).ToList();
        Assert.Equal(
            [("apiservice-gateway", 80, "apiservice.shop.example.com"), ("webfrontend-gateway", 80, "webfrontend.shop.example.com")],
            ingress.OfType<IstioGateway>().Select(gateway => (gateway.Metadata.Name, gateway.Spec.Servers.Single().Port.Number, gateway.Spec.Servers.Single().Hosts.Single())).Order());
        Assert.Equal(
            [("apiservice", "apiservice.shop.example.com"), ("webfrontend", "webfrontend.shop.example.com")],
            ingress.OfType<IstioVirtualService>().Select(route => (route.Spec.Http.Single().Route!.Single().Destination.Host, route.Spec.Hosts.Single())).Order());
        Assert.Contains(model.Warnings, warning => warning.Contains("apiservice.shop.example.com, webfrontend.shop.example.com", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AServiceEntryOfTheAppModelReachesTheMeshAndTheExport()
    {
        var output = Directory.CreateTempSubdirectory("localmesh-entry-export-");
        try
        {
            var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", output.FullName]);
            builder.AddMesh("mesh").WithAutomaticSidecars().WithServiceEntry(new ServiceEntry("books-api")
            {
                Hosts = ["books.example.com"],
                Ports = [new ServiceEntryPort(443, "https", "HTTPS")],
                Resolution = ServiceEntryResolution.Dns,
            });
            builder.AddProject<ApiService>("apiservice", launchProfileName: null).WithHttpEndpoint();
            using var app = builder.Build();

            var model = await KubernetesModelBuilder.BuildAsync(
                app.Services.GetRequiredService<DistributedApplicationModel>(), app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), CancellationToken.None);
            await KubernetesExport.Export(model).WriteAsync(output.FullName);

            Assert.Equal("books-api", Assert.Single(model.Mesh.ServiceEntries).Name);
            var exported = await File.ReadAllTextAsync(Path.Combine(output.FullName, "base", "egress.yaml"));
            Assert.Contains("kind: ServiceEntry", exported, StringComparison.Ordinal);
            Assert.Contains("resolution: DNS", exported, StringComparison.Ordinal);
            Assert.Contains("egress.yaml", await File.ReadAllTextAsync(Path.Combine(output.FullName, "base", "kustomization.yaml")), StringComparison.Ordinal);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task RegistryOnlyInTheAppModelIsExportedAsTheNamespacesDefaultSidecar()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", Path.GetTempPath()]);
        builder.AddMesh("mesh").WithAutomaticSidecars().WithOutboundTrafficPolicy(OutboundTrafficPolicyMode.RegistryOnly);
        builder.AddProject<ApiService>("apiservice", launchProfileName: null).WithHttpEndpoint();
        using var app = builder.Build();

        var model = await KubernetesModelBuilder.BuildAsync(
            app.Services.GetRequiredService<DistributedApplicationModel>(), app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), CancellationToken.None);

        var sidecar = IstioExporter.OutboundTrafficPolicy(model)!;
        Assert.Equal(("default", "REGISTRY_ONLY"), (sidecar.Metadata.Name, sidecar.Spec.OutboundTrafficPolicy!.Mode));
    }

    [Fact]
    public async Task WithoutAnIngressDomainSeveralExternalEndpointsAreServedUnderOneThatResolvesToTheLaptop()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", Path.GetTempPath()]);
        builder.AddMesh("mesh").WithAutomaticSidecars();
        builder.AddProject<ApiService>("apiservice", launchProfileName: null).WithHttpEndpoint().WithExternalHttpEndpoints();
        builder.AddProject<Web>("webfrontend", launchProfileName: null).WithHttpEndpoint().WithExternalHttpEndpoints();
        using var app = builder.Build();

        var model = await KubernetesModelBuilder.BuildAsync(
            app.Services.GetRequiredService<DistributedApplicationModel>(), app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), CancellationToken.None);

        Assert.Equal(["apiservice.localtest.me", "webfrontend.localtest.me"], model.Gateways.Select(gateway => gateway.Host).Order());
        Assert.Contains(model.Warnings, warning => warning.Contains("(the domain is set with WithIngressDomain)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnExternalEndpointEntersThroughTheIngressGatewayWhoseAddressTheDashboardLinks()
    {
        var (builder, mesh, _, web) = Starter();

        var compiled = Compile(builder, mesh);

        var (resource, listener) = Assert.Single(compiled.Exposed);
        Assert.Equal((web.Resource, "ingress|istio-ingressgateway|webfrontend", ListenerKind.Ingress, "istio-ingressgateway", "webfrontend"),
            (resource, listener.Name, listener.Kind, listener.Workload, listener.Destination));
        Assert.Contains(listener, compiled.Config.Listeners);

        SidecarWiring.ShowThroughGateway(web.Resource, new Uri("http://127.0.0.1:41001"));
        var direct = new ResourceUrlAnnotation { Url = "http://localhost:5370", DisplayText = "http", Endpoint = web.GetEndpoint("http") };
        var context = new ResourceUrlsCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), web.Resource, [direct]);
        foreach (var callback in web.Resource.Annotations.OfType<ResourceUrlsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        Assert.Equal(
            [("http://localhost:5370", "http (direct, bypasses the mesh)", UrlDisplayLocation.DetailsOnly), ("http://127.0.0.1:41001", "http://127.0.0.1:41001 (ingress gateway)", UrlDisplayLocation.SummaryAndDetails)],
            context.Urls.Select(url => (url.Url, url.DisplayText, url.DisplayLocation)));
    }

    [Fact]
    public void AnInjectedResourceGetsAMeshServicesCommandsAsTheAppStarts()
    {
        var (builder, mesh, api, _) = Starter();

        MeshInjectionBuilderExtensions.AddServiceCommands(builder, new DistributedApplicationModel(builder.Resources), mesh.Resource);

        Assert.Superset(new HashSet<string> { MeshCommands.InjectDelay, MeshCommands.InjectAbort, MeshCommands.ClearFaults, MeshCommands.ExplainRequest },
            api.Resource.Annotations.OfType<ResourceCommandAnnotation>().Select(command => command.Name).ToHashSet());
    }

    [Fact]
    public void OnlyExternalEndpointsGetAGatewayPort()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh").WithAutomaticSidecars();
        builder.AddProject<ApiService>("apiservice", launchProfileName: null).WithHttpEndpoint();

        Assert.Empty(Compile(builder, mesh).Exposed);
    }

    [Fact]
    public void TheMeshIsStartedByOneSubscriberHoweverOftenItsCoreIsAdded()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.AddMesh("mesh");
        builder.AddMeshCore().AddMeshCore();

        Assert.Single(builder.Services, service => service.ImplementationType == typeof(MeshSubscriber));
        Assert.Single(builder.Services, service => service.ServiceType == typeof(MeshRuntime));
    }

    [Fact]
    public void WithoutSidecarKeepsAResourceOutAndItsCallsDirect()
    {
        var (builder, mesh, api, _) = Starter();
        api.WithoutSidecar();

        var compiled = Compile(builder, mesh);

        Assert.Equal(["webfrontend"], compiled.Config.Workloads.Select(w => w.Name));
        Assert.Empty(compiled.Calls);
        Assert.Contains("webfrontend → apiservice: direct, not through the mesh (apiservice has no sidecar: WithoutSidecar).", compiled.Warnings);
    }

    [Fact]
    public void VersionAndLabelsAndTheTwoStylesMixInOneApp()
    {
        var (builder, mesh, api, web) = Starter();
        api.WithMeshVersion("v2").WithMeshLabels(new Dictionary<string, string> { ["track"] = "canary" });
        var ratings = mesh.AddService("ratings").WithWorkload(builder.AddProject<ApiService>("ratings-v1", launchProfileName: null).WithHttpEndpoint(), version: "v1");
        web.WithReference(ratings);

        var compiled = Compile(builder, mesh);

        Assert.Equal(new Dictionary<string, string> { ["app"] = "apiservice", ["version"] = "v2", ["track"] = "canary" },
            compiled.Config.Workloads.Single(w => w.Name == "apiservice").Labels);
        Assert.Equal(["outbound|webfrontend|apiservice", "outbound|webfrontend|ratings"], compiled.Calls.Select(c => c.Listener.Name).Order());
        Assert.DoesNotContain(compiled.Injected, resource => resource.Name == "ratings-v1");
    }

    [Fact]
    public void MistakesAreOneLineEachNamingTheResourceAndTheFix()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh").WithAutomaticSidecars();
        var reviews = mesh.AddService("reviews");
        reviews.WithWorkload(builder.AddProject<ApiService>("reviews-v1", launchProfileName: null).WithHttpEndpoint().WithoutSidecar());
        builder.AddProject<Web>("WebFront", launchProfileName: null).WithHttpEndpoint();

        var error = Assert.Throws<MeshModelException>(() => Compile(builder, mesh));

        Assert.Equal([("reviews-v1", "WithoutSidecar"), ("WebFront", "name")], error.Errors.Select(e => (e.Resource, e.Field)).Order());
    }

    [Fact]
    public async Task ACalleeServingOnlyHttpsIsInTheMeshAndItsHttpsEntriesNameTheCallersSidecar()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh").WithAutomaticSidecars();
        var api = builder.AddProject<ApiService>("secure-api", launchProfileName: null).WithHttpsEndpoint();
        var web = builder.AddProject<Web>("web", launchProfileName: null).WithHttpEndpoint().WithReference(api);

        var compiled = Compile(builder, mesh);
        SidecarWiring.RouteThroughSidecar(web.Resource, api.Resource, new Uri("http://127.0.0.1:41002"));

        Assert.Equal(["secure-api", "web"], compiled.Injected.Select(r => r.Name).Order());
        Assert.Equal(("web", "secure-api"), (Assert.Single(compiled.Calls).Caller.Name, compiled.Calls[0].Callee.Name));
        // https+http://secure-api finds its https entry, which is the sidecar's plaintext address; the sidecars originate TLS to the API.
        Assert.Equal("http://127.0.0.1:41002", (await EnvironmentAsync(web.Resource))["services__secure-api__https__0"]);
    }

    [Fact]
    public async Task AnEndpointTheMeshCannotCarryStaysDirectAndIsSaidOnce()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh").WithAutomaticSidecars();
        var api = builder.AddProject<ApiService>("apiservice", launchProfileName: null).WithHttpEndpoint().WithEndpoint(name: "cache", scheme: "tcp", port: 6379);
        var web = builder.AddProject<Web>("webfrontend", launchProfileName: null).WithHttpEndpoint()
            .WithReference(api).WithEnvironment("CACHE", api.GetEndpoint("cache"));

        var compiled = Compile(builder, mesh);
        SidecarWiring.RouteThroughSidecar(web.Resource, api.Resource, new Uri("http://127.0.0.1:41003"));
        var environment = await EnvironmentAsync(web.Resource, allValues: true);

        Assert.Equal("http://127.0.0.1:41003", environment["services__apiservice__http__0"]);
        // Still the API's own endpoint, resolved by Aspire when the process starts.
        Assert.Equal(typeof(EndpointReference).FullName, environment["CACHE"]);
        Assert.Contains("apiservice: endpoint 'cache' (tcp) is not carried by the mesh (a service has one port, and apiservice's is HTTP); references to it stay direct.", compiled.Warnings);
    }

    [Fact]
    public void WithMeshVersionOnAResourceTheMeshDoesNotInjectIsAnError()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddService("api").WithWorkload(builder.AddProject<ApiService>("api-v1", launchProfileName: null).WithHttpEndpoint());
        builder.AddProject<Web>("web", launchProfileName: null).WithHttpEndpoint().WithMeshVersion("v2");

        var error = Assert.Single(Assert.Throws<MeshModelException>(() => Compile(builder, mesh)).Errors);

        Assert.Equal(("web", "WithMeshVersion"), (error.Resource, error.Field));
        Assert.Contains("WithAutomaticSidecars", error.Fix);
    }

    /// <summary>The resource's environment as its callbacks write it; the values still unresolved (endpoint references) only with <paramref name="allValues"/>.</summary>
    private static async Task<Dictionary<string, string>> EnvironmentAsync(IResource resource, bool allValues = false)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, values);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return values.Where(pair => allValues || pair.Value is string).ToDictionary(pair => pair.Key, pair => pair.Value.ToString() ?? "");
    }
}
