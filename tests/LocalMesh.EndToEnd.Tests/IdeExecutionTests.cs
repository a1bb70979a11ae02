using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// The sample AppHost started as an IDE starts it (F5): the orchestrator asks the IDE to run every
/// project, each function instance included, so a breakpoint in any of them would be hit.
/// </summary>
[Collection(SampleAppCollection.Name)]
public sealed class IdeExecutionTests(IdeExecutionTests.IdeAppFixture fixture) : IClassFixture<IdeExecutionTests.IdeAppFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public void EveryServiceProjectArrivesAsARunSessionForEachReplica()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        var functionProjects = model.Resources.OfType<FunctionResource>().Select(function => function.Project.ProjectPath).ToHashSet();
        var expected = model.Resources.OfType<ProjectResource>()
            .Where(project => !functionProjects.Contains(project.GetProjectMetadata().ProjectPath))
            .GroupBy(project => Path.GetFileNameWithoutExtension(project.GetProjectMetadata().ProjectPath))
            .ToDictionary(group => group.Key, group => group.Sum(project => project.GetReplicaCount()));
        Assert.Contains("Reviews", expected.Keys);
        Assert.All(fixture.Ide.Requested, session => Assert.Equal("Debug", session.Mode));

        var launched = fixture.Ide.Requested.Select(session => Path.GetFileNameWithoutExtension(session.ProjectPath))
            .Where(expected.ContainsKey).GroupBy(name => name).ToDictionary(group => group.Key, group => group.Count());
        Assert.Equal(expected.OrderBy(e => e.Key), launched.OrderBy(e => e.Key));
        Assert.Empty(fixture.Ide.Refused);
    }

    [Fact]
    public async Task EachScaleUpFromZeroIsARunSessionAndTheInstanceTheIdeRunsAnswersTheRequestThatWokeIt()
    {
        for (var round = 1; round <= 2; round++)
        {
            await fixture.WaitForStateAsync("sentiment", "Idle");
            var before = fixture.Ide.SessionsOf("Sentiment").Count();

            // Straight to the function (its address for callers outside the mesh), so no caller's own timeout cuts the cold start short.
            var requestId = Guid.NewGuid().ToString();
            using var client = new HttpClient { BaseAddress = fixture.App.GetEndpoint("sentiment", "http"), Timeout = Wait };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = Json("""{"text":"a good film"}""") };
            request.Headers.Add("x-request-id", requestId);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(("positive", "sentiment-00001"), (answer.RootElement.GetProperty("sentiment").GetString(), answer.RootElement.GetProperty("revision").GetString()));

            // The activator woke the revision; the orchestrator asked the IDE to run the instance.
            var activated = await fixture.Spans.WaitForAsync(span => SpanCollector.RequestIdOf(span) == requestId
                && span.GetTagItem(MeshTelemetry.Attributes.Activation) as string == "cold-start", 1, $"request {requestId}");
            var sessions = fixture.Ide.SessionsOf("Sentiment").Skip(before).ToList();
            Assert.True(sessions.Count == 1, $"round {round}: {sessions.Count} run sessions:\n{string.Join("\n", sessions)}");
            var session = sessions[0];
            Assert.Equal("Debug", session.Mode);
            Assert.Equal("sentiment-00001", session.Environment["K_REVISION"]);

            // The instance that answered is the program the IDE runs: the resource the IDE was asked to
            // run, and the port it was given, held by the IDE's process.
            var instance = session.Environment["OTEL_SERVICE_NAME"];
            Assert.All(activated, span => Assert.Equal(instance, span.GetTagItem(MeshTelemetry.Attributes.UpstreamEndpoint)));
            Assert.StartsWith("sentiment-00001-", instance);
            var port = new Uri(session.Environment["ASPNETCORE_URLS"]).Port;
            Assert.Contains(Sockets.Listeners(), listener => listener.Port == port && listener.Pid == session.Process!.Id);

            // Back at zero (the revision says so, above its instances), the orchestrator has the IDE end the session.
            await fixture.WaitForStateAsync("sentiment-00001", "Idle");
            var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
            Assert.True(model.Resources.Single(r => r.Name == instance).TryGetAnnotationsOfType<ResourceRelationshipAnnotation>(out var relations)
                && relations.Any(relation => relation.Type == "Parent" && relation.Resource.Name == "sentiment-00001"));
            if (await Task.WhenAny(session.Exited.Task, Task.Delay(Wait)) != session.Exited.Task)
            {
                var state = fixture.App.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(instance, out var current) ? current.Snapshot.State?.Text : null;
                Assert.Fail($"round {round}: {instance} did not end within {Wait.TotalSeconds:0} s of its revision going idle; its resource is '{state}', the IDE was {(session.StopRequested ? "" : "not ")}asked to stop it: {session}");
            }

            Assert.True(session.StopRequested, "the instance ended without the orchestrator asking the IDE to stop it");
        }
    }

    /// <summary>
    /// An instance paused as at a breakpoint holds its request; stopped from the orchestrator (the
    /// dashboard's Stop), the request it held is answered 503 with Envoy's <c>UC</c>, and the next
    /// request starts another instance.
    /// </summary>
    [Fact]
    public async Task AnInstanceStoppedFromTheOrchestratorWhileItHoldsARequestAnswersIt503AndTheNextRequestStartsAnother()
    {
        using var client = new HttpClient { BaseAddress = fixture.App.GetEndpoint("sentiment", "http"), Timeout = Wait };
        // A running instance first (right after start-up the revision may be between instances).
        var (_, warmId, _) = await Eventually.ValueAsync(() => SendAsync(client), answer => answer.Status == HttpStatusCode.OK, Wait);
        var instance = await InstanceOfAsync(warmId);
        var session = fixture.Ide.Requested.Last(s => s.Environment["OTEL_SERVICE_NAME"] == instance);

        // Paused, as at a breakpoint: the instance takes the connection and answers nothing.
        Process.Start("kill", ["-STOP", session.Process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        var held = SendAsync(client);
        var mesh = fixture.App.GetMesh();
        await Eventually.TrueAsync(() => mesh.Server.Functions.Status.Single(s => s.Revision == "sentiment-00001").InFlight == 1, Wait);

        Assert.False(held.IsCompleted, "the paused instance did not hold the request");
        var stopped = await fixture.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(instance, KnownResourceCommands.StopCommand);
        Assert.True(stopped.Success, stopped.Message);

        // Its connection ends with the program: 503. On a connection reused from the warm request, to
        // which nothing had come back, the mesh tries once more on a new one and finds no instance
        // there (UF); on a fresh one the flag is UC.
        var (answer, requestId, _) = await held;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer);
        var inbound = (await fixture.Spans.WaitForAsync(span => SpanCollector.RequestIdOf(span) == requestId
            && span.GetTagItem(MeshTelemetry.Attributes.Listener) as string == "inbound|sentiment-00001|0", 1, $"request {requestId}")).MinBy(span => span.StartTimeUtc)!;
        Assert.Equal(instance, inbound.GetTagItem(MeshTelemetry.Attributes.UpstreamEndpoint));
        Assert.Contains(inbound.GetTagItem(MeshTelemetry.Attributes.ResponseFlags) as string, new[] { "UF", "UC" });
        Assert.True(session.StopRequested);

        // Once the orchestrator reports the instance gone, the next request starts another.
        await Eventually.TrueAsync(() => mesh.Server.Functions.Status.Single(s => s.Revision == "sentiment-00001").Instances == 0, Wait);
        var next = await SendAsync(client);
        Assert.True(next.Status == HttpStatusCode.OK, $"{next.Status}: {next.Body}");
    }

    /// <summary>Posts a text to the function with a request id of its own; its status, that id and the body.</summary>
    private static async Task<(HttpStatusCode Status, string RequestId, string Body)> SendAsync(HttpClient client)
    {
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = Json("""{"text":"good"}""") };
        request.Headers.Add("x-request-id", requestId);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, requestId, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The instance that answered a request, from its inbound span (a try before it may have found none).</summary>
    private async Task<string> InstanceOfAsync(string requestId) =>
        (string)(await fixture.Spans.WaitForAsync(span => SpanCollector.RequestIdOf(span) == requestId
            && span.GetTagItem(MeshTelemetry.Attributes.Listener) as string == "inbound|sentiment-00001|0"
            && span.GetTagItem(MeshTelemetry.Attributes.UpstreamEndpoint) is string, 1, $"request {requestId}"))[^1].GetTagItem(MeshTelemetry.Attributes.UpstreamEndpoint)!;

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    /// <summary>The sample AppHost, started with the variables an IDE sets, the IDE played by <see cref="IdeSessionEndpoint"/>.</summary>
    public sealed class IdeAppFixture : IAsyncLifetime
    {
        private DistributedApplication? _app;

        public IdeSessionEndpoint Ide { get; private set; } = null!;

        public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

        public SpanCollector Spans { get; } = new();

        public Uri Ingress { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Ide = await IdeSessionEndpoint.StartAsync();
            using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            _app = await Ide.AsTheIdeAsync(async () =>
            {
                var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--IngressPort=0"], cancellation.Token);
                var app = await builder.BuildAsync(cancellation.Token);
                await app.StartAsync(cancellation.Token);
                return app;
            });
            await _app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);
            Ingress = _app.GetEndpoint("ingress", "http");
        }

        public async Task WaitForStateAsync(string resource, string state)
        {
            using var cap = new CancellationTokenSource(Wait);
            await App.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(resource, state, cap.Token);
        }

        public async Task DisposeAsync()
        {
            Spans.Dispose();
            if (_app is not null)
            {
                await _app.StopAsync();
                await _app.DisposeAsync();
            }

            await Ide.DisposeAsync();
        }
    }
}
