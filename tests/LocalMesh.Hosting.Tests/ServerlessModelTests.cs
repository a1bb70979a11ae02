using LocalMesh.Emulator.Configuration;
using LocalMesh.Hosting;
using Microsoft.Extensions.Configuration;

namespace LocalMesh.Hosting.Tests;

/// <summary>Functions and brokers in the model, and what the compiler makes of them. Nothing is started.</summary>
public sealed class ServerlessModelTests
{
    private sealed class FunctionProject : IProjectMetadata
    {
        public string ProjectPath => Path.Combine(Path.GetTempPath(), "no-such-function", "Fn.csproj");
    }

    private static CompiledMesh Compile(IDistributedApplicationBuilder builder) =>
        MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), builder.Resources.OfType<MeshResource>().Single());

    private static MeshModelException CompileFails(IDistributedApplicationBuilder builder) =>
        Assert.Throws<MeshModelException>(() => Compile(builder));

    [Fact]
    public void AFunctionIsAServiceWhoseRevisionsAreWorkloadsBehindTheActivator()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var scaling = new FunctionScaling { ContainerConcurrency = 10, MaxScale = 3 };
        var sentiment = mesh.AddFunction<FunctionProject>("sentiment").WithScaling(scaling);
        mesh.AddService("reviews").WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", ".").WithReference(sentiment));

        var compiled = Compile(builder);

        var revision = Assert.Single(compiled.Config.Workloads, w => w.Service == "sentiment");
        Assert.Equal("sentiment-00001", revision.Name);
        Assert.Same(scaling, revision.Scaling);
        Assert.Equal("sentiment-00001", revision.Labels["serving.knative.dev/revision"]);
        Assert.Equal("sentiment", revision.Labels["serving.knative.dev/service"]);
        Assert.Contains(compiled.Config.Listeners, l => l.Name == "inbound|sentiment-00001|0");
        Assert.Contains(compiled.Config.Listeners, l => l.Name == "service|sentiment");
        var call = Assert.Single(compiled.Calls, c => c.Callee.Name == "sentiment");
        Assert.Equal("outbound|reviews-v1|sentiment", call.Listener.Name);

        // Without traffic targets, the latest revision takes everything.
        var route = Assert.Single(compiled.Config.Services.Single(s => s.Name == "sentiment").Http);
        Assert.Equal([(new Destination("sentiment", "sentiment-00001"), (int?)100)], route.Route!.Select(d => (d.Destination, d.Weight)));
    }

    [Fact]
    public void TrafficSplitsOverRevisionsByPercentAndATagGetsItsOwnRouteByHeader()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddFunction<FunctionProject>("sentiment")
            .WithRevision(new Dictionary<string, string> { ["SENTIMENT_THRESHOLD"] = "2" })
            .WithTraffic("sentiment-00001", 90)
            .WithTraffic("sentiment-00002", 10, tag: "canary");

        var service = Compile(builder).Config.Services.Single(s => s.Name == "sentiment");

        Assert.Equal(["tag-canary", "traffic"], service.Http.Select(r => r.Name));
        var tag = service.Http[0];
        Assert.Equal(new StringMatch(StringMatchKind.Exact, "canary"), tag.Match!.Single().Headers![MeshServerlessBuilderExtensions.TagHeader]);
        Assert.Equal("sentiment-00002", tag.Route!.Single().Destination.Subset);
        Assert.Equal([("sentiment-00001", (int?)90), ("sentiment-00002", 10)], service.Http[1].Route!.Select(d => (d.Destination.Subset!, d.Weight)));
        Assert.Equal(["sentiment-00001", "sentiment-00002"], service.DestinationRule!.Subsets!.Select(s => s.Name));
    }

    [Fact]
    public void TrafficThatDoesNotSumTo100OrNamesAnUnknownRevisionOrRepeatsATagIsRefusedWithKnativesWords()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddFunction<FunctionProject>("sentiment")
            .WithTraffic("sentiment-00001", 60, tag: "a")
            .WithTraffic("sentiment-00009", 30, tag: "a")
            .WithTraffic(null, 0, tag: "Not_A_Label");

        var errors = CompileFails(builder).Errors;

        Assert.Contains(errors, e => e is { Resource: "sentiment", Field: "spec.traffic" } && e.Problem == "Traffic targets sum to 90, want 100.");
        Assert.Contains(errors, e => e.Field == "spec.traffic[1].revisionName" && e.Problem.Contains("'sentiment-00009'"));
        Assert.Contains(errors, e => e.Field == "spec.traffic[2].tag");
        Assert.Contains(errors, e => e.Field == "spec.traffic.tag" && e.Problem.Contains("'a'"));
    }

    [Fact]
    public void ScalingOutsideKnativesBoundsIsRefusedNamingTheAnnotation()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        mesh.AddFunction<FunctionProject>("sentiment")
            .WithScaling(new FunctionScaling { ContainerConcurrency = 2000, MinScale = 5, MaxScale = 2, Window = TimeSpan.FromSeconds(2) });

        var errors = CompileFails(builder).Errors;

        Assert.Contains(errors, e => e is { Resource: "sentiment (revision sentiment-00001)", Field: "containerConcurrency" });
        Assert.Contains(errors, e => e.Field == "autoscaling.knative.dev/min-scale" && e.Fix.Contains("max-scale"));
        Assert.Contains(errors, e => e.Field == "autoscaling.knative.dev/window" && e.Fix == "use 6s to 1h.");
    }

    [Fact]
    public void ABrokerSendsThroughItsOwnOutboundSidecarToEverySubscriberAndSink()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var notifier = mesh.AddFunction<FunctionProject>("notifier");
        var sink = mesh.AddService("sink").WithWorkload(builder.AddExecutable("sink-v1", "dotnet", "."));
        mesh.AddBroker("events")
            .WithDelivery(new DeliverySpec { DeadLetterSink = "sink" })
            .WithTrigger("posted", notifier, new Dictionary<string, string> { ["type"] = "posted" });

        var compiled = Compile(builder);

        Assert.Contains(compiled.Config.Listeners, l => l is { Name: "broker|events", Kind: ListenerKind.Broker });
        Assert.Contains(compiled.Config.Listeners, l => l.Name == "outbound|events|notifier");
        Assert.Contains(compiled.Config.Listeners, l => l.Name == "outbound|events|sink");
        var sender = Assert.Single(compiled.Config.Workloads, w => w.Name == "events");
        Assert.Equal((null, 0), (sender.Service, sender.Replicas));
        var trigger = Assert.Single(Assert.Single(compiled.Config.Brokers).Triggers);
        Assert.Equal(("posted", "notifier", "posted"), (trigger.Name, trigger.Subscriber, trigger.Filter["type"]));
    }

    [Fact]
    public void ATriggerToSomethingOutsideTheMeshIsRefused()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var notifier = mesh.AddFunction<FunctionProject>("notifier");
        mesh.AddBroker("events").WithTrigger("posted", notifier, delivery: new DeliverySpec { DeadLetterSink = "nowhere", Retry = -1 });

        var errors = CompileFails(builder).Errors;

        Assert.Contains(errors, e => e is { Resource: "broker/events", Field: "triggers[posted].delivery.deadLetterSink" } && e.Problem.Contains("'nowhere'"));
        Assert.Contains(errors, e => e.Field == "triggers[posted].delivery.retry");
    }

    [Fact]
    public void AFunctionWhoseProjectWasNeverBuiltIsNamedWithTheCommandThatFixesIt()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh");
        var function = mesh.AddFunction<FunctionProject>("sentiment");
        var processes = new FunctionProcesses([function.Resource], null!, null!);

        var error = Assert.Single(processes.MissingBuilds());

        Assert.Equal(("sentiment", "project"), (error.Resource, error.Field));
        Assert.StartsWith("build it: dotnet build", error.Fix);
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("localhost:5000", null, true)]
    [InlineData(null, "orchestrator", true)]
    [InlineData("localhost:5000", "process", false)]
    [InlineData("localhost:5000", "Process", false)]
    public void FunctionInstancesRunUnderTheIdeUnlessTheSettingSaysProcessAndFromATerminalOnlyWhenItSaysOrchestrator(string? ide, string? setting, bool orchestrated)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DEBUG_SESSION_PORT"] = ide,
            ["LocalMesh:FunctionInstances"] = setting,
        }).Build();

        Assert.Equal(orchestrated, OrchestratedFunctionLauncher.IsWanted(configuration));
    }
}
