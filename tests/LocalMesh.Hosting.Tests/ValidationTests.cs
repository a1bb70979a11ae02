using LocalMesh.Hosting;

namespace LocalMesh.Hosting.Tests;

/// <summary>An invalid mesh model fails before anything starts, with every problem named.</summary>
public sealed class ValidationTests
{
    private static MeshModelException Compile(IDistributedApplicationBuilder builder) =>
        Assert.Throws<MeshModelException>(() => MeshModelCompiler.Compile(
            new DistributedApplicationModel(builder.Resources), builder.Resources.OfType<MeshResource>().Single()));

    [Fact]
    public void AServiceWithoutWorkloadsIsAnError()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.AddMesh("mesh").AddService("ratings");

        var error = Assert.Single(Compile(builder).Errors);

        Assert.Equal(("ratings", "workloads"), (error.Resource, error.Field));
        Assert.Contains("WithWorkload", error.Fix);
    }

    [Fact]
    public void ANameUsedTwiceIsOneLineBeforeAnythingStartsNotAnExceptionFromTheAppHostsCode()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        builder.AddExecutable("ratings-v1", "dotnet", ".").WithHttpEndpoint();
        mesh.AddService("reviews").WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", "."));
        mesh.AddService("reviews").WithWorkload(builder.AddExecutable("reviews-v2", "dotnet", "."));
        mesh.AddService("Ratings-V1");

        var errors = Compile(builder).Errors.Where(error => error.Field == "name").ToList();

        Assert.Equal(
            [("reviews", "is asked for a MeshService, but MeshService 'reviews' already has it (resource names are unique, whatever their case)."),
             ("Ratings-V1", "is asked for a MeshService, but Executable 'ratings-v1' already has it (resource names are unique, whatever their case).")],
            errors.Select(error => (error.Resource, error.Problem)));
    }

    [Fact]
    public void AWorkloadOfTwoServicesIsAnError()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var shared = builder.AddExecutable("shared", "dotnet", ".");
        mesh.AddService("one").WithWorkload(shared);
        mesh.AddService("two").WithWorkload(shared);

        var error = Assert.Single(Compile(builder).Errors, error => error.Resource == "shared");

        Assert.Equal("WithWorkload", error.Field);
        Assert.Contains("one, two", error.Problem);
    }

    [Theory]
    [InlineData("-bad", "v1", "labels[-bad]")]
    [InlineData("team", "not ok!", "labels[team]")]
    public void InvalidLabelsAreErrors(string key, string value, string field)
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.AddMesh("mesh").AddService("svc").WithWorkload(builder.AddExecutable("svc-v1", "dotnet", "."), labels: new Dictionary<string, string> { [key] = value });

        var error = Assert.Single(Compile(builder).Errors);

        Assert.Equal(("svc-v1", field), (error.Resource, error.Field));
    }

    [Fact]
    public void AGatewayWithoutARouteIsAnError()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddService("svc").WithWorkload(builder.AddExecutable("svc-v1", "dotnet", "."));
        mesh.AddIngressGateway("ingress");

        var error = Assert.Single(Compile(builder).Errors);

        Assert.Equal(("ingress", "route"), (error.Resource, error.Field));
    }

    [Fact]
    public void EveryProblemIsListedInOneError()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddService("empty");
        mesh.AddService("svc").WithWorkload(builder.AddExecutable("svc-v1", "dotnet", "."), version: "v 1");
        mesh.AddIngressGateway("ingress");

        var exception = Compile(builder);

        Assert.Equal(3, exception.Errors.Count);
        Assert.StartsWith("The mesh model has 3 problems; nothing was started:", exception.Message);
        foreach (var error in exception.Errors)
        {
            Assert.Contains($"  - {error.Resource}: {error.Field}: ", exception.Message);
        }
    }
}
