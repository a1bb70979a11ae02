using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Hosting;

namespace LocalMesh.Hosting.Tests;

/// <summary>The model the builder methods make, and what the compiler makes of it. Nothing is started.</summary>
public sealed class AddMeshTests
{
    [Fact]
    public void WithWorkloadLabelsTheWorkloadWithItsServiceAndVersionAndGivesItAnHttpEndpoint()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var workload = builder.AddExecutable("reviews-v2", "dotnet", ".");

        var reviews = mesh.AddService("reviews").WithWorkload(workload, version: "v2", labels: new Dictionary<string, string> { ["team"] = "books" });

        var annotation = Assert.Single(workload.Resource.Annotations.OfType<MeshWorkloadAnnotation>());
        Assert.Same(reviews.Resource, annotation.Service);
        Assert.Equal(
            new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v2", ["team"] = "books" }.OrderBy(p => p.Key),
            annotation.Labels.OrderBy(p => p.Key));
        Assert.Single(workload.Resource.Annotations.OfType<EndpointAnnotation>(), endpoint => endpoint.UriScheme == "http");
        Assert.Equal([workload.Resource], reviews.Resource.Workloads);
        Assert.Same(mesh.Resource, reviews.Resource.Parent);
    }

    [Fact]
    public void TheLandingPageIsAnAbsolutePathAndAnythingElseIsRefusedNamingTheGateway()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var gateway = mesh.AddIngressGateway("ingress");

        Assert.Equal("/", gateway.Resource.LandingPath);
        gateway.WithLandingPage("/productpage");
        Assert.Equal("/productpage", gateway.Resource.LandingPath);

        var error = Assert.Throws<ArgumentException>(() => gateway.WithLandingPage("productpage"));
        Assert.Contains("gateway 'ingress'", error.Message);
        Assert.Contains("/productpage", error.Message);
    }

    [Fact]
    public void AWorkloadIsLinkedToItsServiceWithoutBecomingOneOfItsCallers()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var workload = builder.AddExecutable("reviews-v1", "dotnet", ".");
        var reviews = mesh.AddService("reviews").WithWorkload(workload);

        Assert.Contains(workload.Resource.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource == reviews.Resource && r.Type == "MeshService");
        var compiled = MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource);
        Assert.Empty(compiled.Calls);
    }

    [Fact]
    public void AServicesProtocolIsReadFromItsWorkloadsEndpointAsIstioReadsAPort()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddService("plain").WithWorkload(builder.AddExecutable("plain-v1", "dotnet", "."));
        mesh.AddService("http2").WithWorkload(builder.AddExecutable("http2-v1", "dotnet", ".").WithHttpEndpoint().AsHttp2Service());
        mesh.AddService("grpc").WithWorkload(builder.AddExecutable("grpc-v1", "dotnet", ".").WithHttpEndpoint(name: "grpc"));
        builder.AddProject("injected", "../Injected/Injected.csproj", launchProfileName: null).WithHttpEndpoint(name: "grpc-api");
        mesh.WithAutomaticSidecars();

        var services = MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource).Config.Services.ToDictionary(service => service.Name);

        Assert.Equal(ServiceProtocol.Http, services["plain"].Protocol);
        Assert.Equal(ServiceProtocol.Http2, services["http2"].Protocol);
        Assert.Equal(ServiceProtocol.Grpc, services["grpc"].Protocol);
        Assert.Equal(ServiceProtocol.Grpc, services["injected"].Protocol);
    }

    [Fact]
    public void WorkloadsOfOneServiceThatServeDifferentProtocolsAreAModelErrorNamingEach()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddService("inventory")
            .WithWorkload(builder.AddExecutable("inventory-v1", "dotnet", ".").WithHttpEndpoint().AsHttp2Service(), version: "v1")
            .WithWorkload(builder.AddExecutable("inventory-v2", "dotnet", "."), version: "v2");

        var error = Assert.Single(Assert.Throws<MeshModelException>(() => MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource)).Errors);

        Assert.Equal(("inventory", "workloads"), (error.Resource, error.Field));
        Assert.Contains("inventory-v1: Http2, inventory-v2: Http", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TheMeshBalancesAsIstioDoesUnlessTheModelChoosesAnotherDefault()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddService("reviews").WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", "."));

        Assert.Equal(SimpleLoadBalancer.LeastRequest, MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource).Config.DefaultLoadBalancer);

        mesh.WithDefaultLoadBalancer(SimpleLoadBalancer.RoundRobin);
        Assert.Equal(SimpleLoadBalancer.RoundRobin, MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource).Config.DefaultLoadBalancer);
        Assert.Contains("no original destination", Assert.Throws<ArgumentException>(() => mesh.WithDefaultLoadBalancer(SimpleLoadBalancer.Passthrough)).Message);
    }

    [Fact]
    public void AccessLogsAreTextByDefaultAsInIstiosDemoProfileJsonOrNoneWhenTheModelSaysSo()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddService("reviews").WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", "."));
        AccessLogEncoding? Compiled() => MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource).Config.AccessLog;

        Assert.Equal(AccessLogEncoding.Text, Compiled());
        mesh.WithAccessLog(AccessLogEncoding.Json);
        Assert.Equal(AccessLogEncoding.Json, Compiled());
        mesh.WithoutAccessLog();
        Assert.Null(Compiled());
    }

    [Fact]
    public void ASecondMeshIsRefused()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.AddMesh("mesh");

        var error = Assert.Throws<DistributedApplicationException>(() => builder.AddMesh("other"));
        Assert.Contains("'mesh'", error.Message);
    }

    [Fact]
    public void TheIngressGatewayHasAFixedPortAndARoute()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var page = mesh.AddService("productpage");

        var gateway = mesh.AddIngressGateway("ingress").WithRoute(page);

        Assert.Equal(MeshBuilderExtensions.DefaultIngressPort, gateway.Resource.Annotations.OfType<EndpointAnnotation>().Single().Port);
        Assert.Same(page.Resource, gateway.Resource.Annotations.OfType<IngressRouteAnnotation>().Single().Service);
        Assert.Throws<ArgumentOutOfRangeException>(() => mesh.AddIngressGateway("bad", port: 70000));
    }

    [Fact]
    public void CompilingMakesAnInboundListenerPerReplicaAndAnOutboundListenerPerCallFromInsideTheMesh()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var reviews = mesh.AddService("reviews").WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", ".").WithAnnotation(new ReplicaAnnotation(2)));
        var page = mesh.AddService("productpage").WithWorkload(builder.AddExecutable("productpage-v1", "dotnet", ".").WithReference(reviews));
        builder.AddExecutable("outsider", "dotnet", ".").WithReference(reviews);
        mesh.AddIngressGateway("ingress", port: 0).WithRoute(page);

        var compiled = MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource);

        Assert.Equal(
            ["inbound|reviews-v1|0", "inbound|reviews-v1|1", "inbound|productpage-v1|0", "outbound|productpage-v1|reviews",
             "egress|reviews-v1", "egress|productpage-v1", "service|reviews", "service|productpage", "ingress|ingress"],
            compiled.Config.Listeners.Select(listener => listener.Name));
        Assert.Equal(ListenerKind.Ingress, compiled.Config.Listeners[^1].Kind);
        Assert.Equal("productpage", compiled.Config.Listeners[^1].Destination);
        var call = Assert.Single(compiled.Calls);
        Assert.Equal(("productpage-v1", "reviews"), (call.Caller.Name, call.Callee.Name));
        Assert.Equal("reviews-v1", compiled.Config.Workloads.Single(w => w.Service == "reviews").ServiceAccount);
        Assert.Equal(2, compiled.Config.Workloads.Single(w => w.Service == "reviews").Replicas);
    }

    [Fact]
    public void TheServiceAccountCanBeSetInTheModel()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddService("reviews").WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", "."), serviceAccount: "bookinfo-reviews");

        var compiled = MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource);

        Assert.Equal("bookinfo-reviews", compiled.Config.Workloads.Single().ServiceAccount);
    }

    [Fact]
    public void AReplicaAddressIsItsOwnPortFromTheEffectiveEnvironment()
    {
        var resource = new ExecutableResource("reviews-v1", "dotnet", ".");
        var snapshot = new CustomResourceSnapshot
        {
            ResourceType = "Project",
            Properties = [],
            EnvironmentVariables = [new("ASPNETCORE_URLS", "https://localhost:7001;http://localhost:32309", IsFromSpec: true)],
        };

        Assert.Equal(new Uri("http://127.0.0.1:32309"), WorkloadWatcher.ApplicationAddress(resource, snapshot));
    }

    [Fact]
    public void AnApplicationServingOnlyHttpsIsAddressedOverHttps()
    {
        var resource = new ExecutableResource("secure-api", "dotnet", ".");
        resource.Annotations.Add(new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "https", name: "https"));
        var snapshot = new CustomResourceSnapshot
        {
            ResourceType = "Project",
            Properties = [],
            EnvironmentVariables = [new("ASPNETCORE_URLS", "https://localhost:7001", IsFromSpec: true)],
        };

        Assert.Equal(new Uri("https://127.0.0.1:7001"), WorkloadWatcher.ApplicationAddress(resource, snapshot));
    }

    [Fact]
    public void WithoutAnAddressInTheEnvironmentTheAllocatedEndpointIsUsed()
    {
        var resource = new ExecutableResource("tool", "tool", ".");
        var endpoint = new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "http", name: "http");
        endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "localhost", 41000);
        resource.Annotations.Add(endpoint);
        var snapshot = new CustomResourceSnapshot { ResourceType = "Executable", Properties = [], EnvironmentVariables = ImmutableArray<EnvironmentVariableSnapshot>.Empty };

        Assert.Equal(new Uri("http://127.0.0.1:41000"), WorkloadWatcher.ApplicationAddress(resource, snapshot));
    }
}
