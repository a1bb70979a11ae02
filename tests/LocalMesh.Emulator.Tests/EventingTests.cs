using System.Collections.Immutable;
using System.Net;
using System.Text;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Eventing;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// Knative Eventing's broker and triggers on real sockets: CloudEvents in both content modes,
/// attribute filters, retries by the data plane contract's status table, and the dead-letter
/// sink with Knative's error extensions.
/// </summary>
public sealed class EventingTests : IAsyncLifetime
{
    private static readonly DeliverySpec FastRetries = new()
    {
        Retry = 2, BackoffPolicy = BackoffPolicy.Linear, BackoffDelay = TimeSpan.FromMilliseconds(10), DeadLetterSink = "dead-letters",
    };

    private readonly Dictionary<string, TestBackend> _backends = [];
    private MeshServer _server = null!;
    private HttpClient _client = null!;
    private int _failures = 500;

    public async Task InitializeAsync()
    {
        string[] services = ["notifier", "audit", "failing", "dead-letters"];
        var broker = new BrokerConfig("events")
        {
            Triggers =
            [
                new TriggerConfig("review-posted", "notifier") { Filter = Filter(("type", "com.example.review.posted")) },
                new TriggerConfig("everything", "audit"),
                new TriggerConfig("flaky", "failing") { Filter = Filter(("type", "com.example.review.flagged")), Path = "/flags", Delivery = FastRetries },
            ],
        };
        var config = new MeshConfig
        {
            Services = [.. services.Select(name => new MeshServiceConfig(name))],
            Workloads =
            [
                .. services.Select(name => MeshFixtures.Workload(name, name)),
                new WorkloadConfig("events", null, ImmutableDictionary<string, string>.Empty.Add("app", "events"), "events", 0),
            ],
            Listeners =
            [
                .. services.Select(name => ListenerConfig.Inbound(name, 0)),
                .. services.Select(name => EventBroker.OutboundListener("events", name)),
                ListenerConfig.ForBroker("events"),
            ],
            Brokers = [broker],
        };

        _server = await MeshServer.StartAsync(config);
        foreach (var name in services)
        {
            var backend = await TestBackend.StartAsync(name, name == "failing" ? context => Fail(context) : null);
            _backends[name] = backend;
            _server.State.SetApplication(name, 0, backend.Address);
        }

        _client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    }

    private Uri Broker => _server.Addresses["broker|events"];

    private Task Fail(HttpContext context)
    {
        context.Response.StatusCode = _failures;
        return context.Response.WriteAsync("cannot take it");
    }

    private static ImmutableDictionary<string, string> Filter(params (string Name, string Value)[] attributes) =>
        attributes.ToImmutableDictionary(a => a.Name, a => a.Value);

    private static HttpRequestMessage Binary(string type, string id, string data = "{\"stars\":5}")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, (Uri?)null) { Content = new StringContent(data, Encoding.UTF8, "application/json") };
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-id", id);
        request.Headers.Add("ce-source", "/reviews");
        request.Headers.Add("ce-type", type);
        request.Headers.Add("ce-productid", "0");
        return request;
    }

    private async Task<HttpResponseMessage> PostAsync(HttpRequestMessage request)
    {
        request.RequestUri = Broker;
        return await _client.SendAsync(request);
    }

    private async Task<DeliveryRecord> DeliveryAsync(string trigger, string id) =>
        (await Eventually.ValueAsync(
            () => Task.FromResult(_server.Events.History.FirstOrDefault(r => r.Trigger == trigger && r.EventId == id)),
            record => record is not null, TimeSpan.FromSeconds(10), $"{trigger} delivered event {id}"))!;

    [Fact]
    public async Task ABinaryEventIsAcceptedAndDeliveredInBinaryModeToEveryMatchingTrigger()
    {
        using var response = await PostAsync(Binary("com.example.review.posted", "e-1"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        Assert.Equal(DeliveryResult.Delivered, (await DeliveryAsync("review-posted", "e-1")).Result);
        Assert.Equal(DeliveryResult.Delivered, (await DeliveryAsync("everything", "e-1")).Result);
        var received = Assert.Single(_backends["notifier"].Received);
        Assert.Equal("POST", received.Method);
        Assert.Equal("com.example.review.posted", received.Headers["ce-type"]);
        Assert.Equal("/reviews", received.Headers["ce-source"]);
        Assert.Equal("0", received.Headers["ce-productid"]);
        Assert.StartsWith("application/json", received.Headers["content-type"]);
        Assert.Empty(_backends["failing"].Received);
    }

    [Fact]
    public async Task AStructuredEventIsDeliveredWithItsAttributesAsHeadersAndItsDataAsTheBody()
    {
        var structured = """{"specversion":"1.0","id":"e-2","source":"/reviews","type":"com.example.review.posted","datacontenttype":"application/json","data":{"stars":4}}""";
        using var response = await PostAsync(new HttpRequestMessage { Method = HttpMethod.Post, Content = new StringContent(structured, Encoding.UTF8, CloudEvent.StructuredContentType) });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        await DeliveryAsync("review-posted", "e-2");
        var received = Assert.Single(_backends["notifier"].Received);
        Assert.Equal("e-2", received.Headers["ce-id"]);
        Assert.Equal("application/json", received.Headers["content-type"]);
    }

    [Fact]
    public async Task SomethingThatIsNotACloudEventIsRefusedWithTheReason()
    {
        var request = Binary("com.example.review.posted", "e-3");
        request.Headers.Remove("ce-id");
        using var missing = await PostAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("missing ce-id", await missing.Content.ReadAsStringAsync());

        using var get = await _client.GetAsync(Broker);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Fact]
    public async Task ARetriableFailureIsRetriedThenTheEventGoesToTheDeadLetterSinkWithKnativesErrorExtensions()
    {
        using var response = await PostAsync(Binary("com.example.review.flagged", "e-4"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var record = await DeliveryAsync("flaky", "e-4");
        Assert.Equal(DeliveryResult.DeadLettered, record.Result);
        Assert.Equal(3, record.Attempts); // 1 + retry 2
        Assert.Equal(3, _backends["failing"].Received.Count);
        Assert.All(_backends["failing"].Received, r => Assert.Equal("/flags", r.Path));

        var dead = Assert.Single(_backends["dead-letters"].Received);
        Assert.Equal("e-4", dead.Headers["ce-id"]);
        Assert.Equal("500", dead.Headers["ce-knativeerrorcode"]);
        Assert.Equal("http://failing.default.svc.cluster.local/flags", Uri.UnescapeDataString(dead.Headers["ce-knativeerrordest"]));
        Assert.Equal("cannot take it", Encoding.UTF8.GetString(Convert.FromBase64String(dead.Headers["ce-knativeerrordata"])));
    }

    [Fact]
    public async Task ANonRetriableRejectionGoesStraightToTheDeadLetterSink()
    {
        _failures = 400;
        using var response = await PostAsync(Binary("com.example.review.flagged", "e-5"));

        var record = await DeliveryAsync("flaky", "e-5");
        Assert.Equal(DeliveryResult.DeadLettered, record.Result);
        Assert.Equal(1, record.Attempts);
        Assert.Equal(400, record.LastStatus);
    }

    [Theory]
    [InlineData(200, false)]
    [InlineData(400, false)]
    [InlineData(403, false)]
    [InlineData(404, true)]
    [InlineData(409, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(null, true)]
    public void RetriesFollowTheDataPlaneContract(int? status, bool retried) =>
        Assert.Equal(retried, EventBroker.IsRetriable(status));

    [Fact]
    public void BackoffIsExponentialOrLinearFromTheDelay()
    {
        var exponential = new DeliverySpec { BackoffDelay = TimeSpan.FromMilliseconds(200) };
        Assert.Equal([400, 800, 1600], new[] { 1, 2, 3 }.Select(n => exponential.Backoff(n).TotalMilliseconds));
        var linear = exponential with { BackoffPolicy = BackoffPolicy.Linear };
        Assert.Equal([200, 400, 600], new[] { 1, 2, 3 }.Select(n => linear.Backoff(n).TotalMilliseconds));
    }

    [Fact]
    public void AFilterMatchesOnlyWhenEveryAttributeIsEqual()
    {
        var trigger = new TriggerConfig("t", "s") { Filter = Filter(("type", "a"), ("source", "/x")) };
        var cloudEvent = new CloudEvent(Filter(("type", "a"), ("source", "/x"), ("id", "1"), ("specversion", "1.0")), Array.Empty<byte>());
        Assert.True(EventBroker.Matches(trigger, cloudEvent));
        Assert.False(EventBroker.Matches(trigger, cloudEvent.With("source", "/y")));
        Assert.True(EventBroker.Matches(new TriggerConfig("all", "s"), cloudEvent));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        foreach (var backend in _backends.Values)
        {
            await backend.DisposeAsync();
        }
    }
}
