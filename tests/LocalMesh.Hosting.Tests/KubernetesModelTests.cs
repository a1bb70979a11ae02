using LocalMesh.Hosting;
using LocalMesh.Kubernetes.Export;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.Hosting.Tests;

/// <summary>What the export reads from the app model: cluster addresses for references, images, overlays, warnings.</summary>
public sealed class KubernetesModelTests
{
    private sealed class FunctionProject : IProjectMetadata
    {
        public string ProjectPath => Path.Combine(Path.GetTempPath(), "Sentiment", "Sentiment.csproj");
    }

    private static async Task<KubernetesAppModel> BuildAsync(IDistributedApplicationBuilder builder)
    {
        using var app = builder.Build();
        var context = app.Services.GetRequiredService<DistributedApplicationExecutionContext>();
        return await KubernetesModelBuilder.BuildAsync(app.Services.GetRequiredService<DistributedApplicationModel>(), context, CancellationToken.None);
    }

    private static IDistributedApplicationBuilder PublishBuilder() =>
        DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", Path.GetTempPath()]);

    [Fact]
    public async Task ReferencesBecomeClusterAddressesOfServicesFunctionsAndBrokers()
    {
        var builder = PublishBuilder();
        var mesh = builder.AddMesh("mesh");
        var ratings = mesh.AddService("ratings").WithPort(9080).WithWorkload(builder.AddContainer("ratings-v1", "example/ratings", "1.0"));
        var sentiment = mesh.AddFunction<FunctionProject>("sentiment");
        var events = mesh.AddBroker("events");
        mesh.AddService("reviews").WithWorkload(builder.AddContainer("reviews-v1", "example/reviews", "1.0")
            .WithReference(ratings).WithReference(sentiment).WithReference(events).WithEnvironment("SERVICE_VERSION", "v1"));

        var model = await BuildAsync(builder);

        var reviews = model.Workloads.Single(w => w.Name == "reviews-v1");
        var environment = reviews.Environment.ToDictionary();
        Assert.Equal("http://ratings.default.svc.cluster.local:9080", environment["services__ratings__http__0"]);
        Assert.Equal("http://sentiment.default.svc.cluster.local", environment["services__sentiment__http__0"]);
        Assert.Equal("http://broker-ingress.knative-eventing.svc.cluster.local/default/events", environment["services__events__http__0"]);
        Assert.Equal("v1", environment["SERVICE_VERSION"]);
        Assert.Equal("example/reviews:1.0", reviews.Image);
        Assert.Equal("localmesh/sentiment:dev", Assert.Single(model.Functions).Image);
    }

    [Fact]
    public async Task AnExecutableHasNoImageAndIsNamedInAWarningAndPerEnvironmentValuesBecomeOverlays()
    {
        var builder = PublishBuilder();
        var mesh = builder.AddMesh("mesh").WithImageRegistry("ghcr.io/contoso", "1.2.3");
        mesh.AddService("tool").WithWorkload(builder.AddExecutable("tool-v1", "dotnet", "."));
        mesh.AddService("page").WithWorkload(builder.AddContainer("page-v1", "example/page", "1.0")
            .WithEnvironmentOverlay("production", "LOG_LEVEL", "Warning")
            .WithKubernetesResources("200m", "256Mi", "512Mi"));

        var model = await BuildAsync(builder);

        Assert.Contains(model.Warnings, warning => warning.StartsWith("tool-v1: an executable runs only locally", StringComparison.Ordinal));
        var page = Assert.Single(model.Workloads);
        Assert.Equal("Warning", page.ConfigByEnvironment["production"]["LOG_LEVEL"]);
        Assert.DoesNotContain(page.Environment, variable => variable.Key == "LOG_LEVEL");
        Assert.Equal(("200m", "512Mi"), (page.Resources.CpuRequest, page.Resources.MemoryLimit));
    }

    [Fact]
    public void ProjectImagesAreNamedInTheMeshsRegistry()
    {
        var mesh = new MeshResource("mesh") { ImageRegistry = "ghcr.io/contoso", ImageTag = "1.2.3" };

        Assert.Equal("ghcr.io/contoso/productpage:1.2.3", KubernetesModelBuilder.ProjectImage("/src/ProductPage/ProductPage.csproj", mesh));
    }
}
