using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LocalMesh.Emulator.Eventing;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The sample's functions and broker: scale to zero and back, events to the right function, failures to the dead-letter sink.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class ServerlessTests(SampleAppFixture fixture)
{
    /// <summary>The sample's window is 6 s; with the autoscaler's 2 s tick and a busy machine, 30 s is ample.</summary>
    private static readonly TimeSpan ScaleWait = TimeSpan.FromSeconds(30);

    private async Task WaitForStateAsync(string function, string state)
    {
        using var cap = new CancellationTokenSource(ScaleWait);
        await fixture.App.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(function, state, cap.Token);
    }

    [Fact]
    public async Task AFunctionAtZeroStartsWhenReviewsCallsItThroughTheMeshAnswersAndGoesBackToZero()
    {
        await WaitForStateAsync("sentiment", "Idle");
        Assert.Equal(0, fixture.App.GetMesh().Server.Functions.Status.Where(s => s.Service == "sentiment").Sum(s => s.Instances));

        using var client = fixture.CreateIngressClient();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/products/0?sentiment=true");
        request.Headers.Add("x-request-id", requestId);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var product = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var sentiments = product.RootElement.GetProperty("reviews").GetProperty("reviews").EnumerateArray()
            .Select(review => review.GetProperty("sentiment").GetString()).ToList();
        Assert.Equal(["positive", "positive"], sentiments);

        // reviews → sentiment went through reviews' outbound sidecar and the activator, which started an instance.
        static bool AtTheActivator(Activity span) => span.GetTagItem(MeshTelemetry.Attributes.Listener) as string == "inbound|sentiment-00001|0";
        // One call per review at least; more when productpage's 3 s try ran out during the cold start and it tried again.
        await fixture.WaitForSpansAsync(requestId, AtTheActivator, 2);
        // The call that woke it (its span ends when that call does: after the page, when productpage gave up on it and tried again).
        await fixture.WaitForSpansAsync(requestId, span => AtTheActivator(span) && span.GetTagItem(MeshTelemetry.Attributes.Activation) as string == "cold-start", 1);
        Assert.NotEmpty(await fixture.WaitForSpansAsync(requestId, span => span.GetTagItem(MeshTelemetry.Attributes.Listener) is string listener
            && listener.StartsWith("outbound|reviews-v", StringComparison.Ordinal) && listener.EndsWith("|sentiment", StringComparison.Ordinal), 1));

        await WaitForStateAsync("sentiment", "Idle");
        Assert.Equal(0, fixture.App.GetMesh().Server.Functions.Status.Where(s => s.Service == "sentiment").Sum(s => s.Instances));
    }

    [Fact]
    public async Task APostedReviewReachesTheNotifierAndAFailingDeliveryEndsInTheDeadLetterSink()
    {
        using var client = fixture.CreateIngressClient();
        var delivered = await PostReviewAsync(client, """{"reviewer":"jason","stars":5,"text":"great"}""");
        var anonymous = await PostReviewAsync(client, """{"stars":1,"text":"dull"}""");

        var notified = await DeliveryAsync(delivered);
        Assert.Equal(("review-posted", DeliveryResult.Delivered, 1), (notified.Trigger, notified.Result, notified.Attempts));

        var dead = await DeliveryAsync(anonymous);
        Assert.Equal(DeliveryResult.DeadLettered, dead.Result);
        Assert.Equal(3, dead.Attempts); // the first try and the trigger's two retries
        Assert.Equal(500, dead.LastStatus);

        // The sink got the event itself, with Knative's error extensions.
        using var sink = new HttpClient { BaseAddress = fixture.App.GetEndpoint("dead-letters", "http"), Timeout = TimeSpan.FromSeconds(30) };
        using var received = JsonDocument.Parse(await sink.GetStringAsync("/events"));
        var attributes = received.RootElement.EnumerateArray().Select(e => e.GetProperty("attributes"))
            .Single(a => a.GetProperty("id").GetString() == anonymous);
        Assert.Equal("com.bookinfo.review.posted", attributes.GetProperty("type").GetString());
        Assert.Equal("500", attributes.GetProperty("knativeerrorcode").GetString());
        Assert.Equal("http://review-notifier.default.svc.cluster.local/", attributes.GetProperty("knativeerrordest").GetString());
    }

    private static async Task<string> PostReviewAsync(HttpClient client, string review)
    {
        using var response = await client.PostAsync("/api/v1/products/0/reviews", new StringContent(review, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task<DeliveryRecord> DeliveryAsync(string eventId) =>
        (await Eventually.ValueAsync(
            () => Task.FromResult(fixture.App.GetMesh().Server.Events.History.FirstOrDefault(record => record.EventId == eventId)),
            record => record is not null, ScaleWait, $"event {eventId} delivered"))!;
}
