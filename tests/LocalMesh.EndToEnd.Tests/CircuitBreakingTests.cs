using System.Net;
using Xunit.Abstractions;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>Istio's circuit-breaking task on the sample: details allows one connection and one pending request.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class CircuitBreakingTests(SampleAppFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task TwoClientsOfTwentyRequestsGetEveryAnswerAndSomeOverflows()
    {
        using var _ = fixture.UseScenario("circuit-breaking");
        var details = new Uri(fixture.App.GetEndpoint("details", "http"), "/details/0");

        // Istio saw 17 × 200 and 3 × 503 in one run; a run may also see none, so up to three runs.
        var overflows = 0;
        for (var run = 0; run < 3 && overflows == 0; run++)
        {
            var answers = await LoadAsync(details, clients: 2, requests: 20);
            Assert.Equal(20, answers.Count);
            Assert.All(answers.Where(a => a.Status != HttpStatusCode.OK), a => Assert.Equal((HttpStatusCode.ServiceUnavailable, true), a));
            overflows += answers.Count(a => a.Overloaded);
        }

        Assert.True(overflows > 0, "Three runs of 2 × 20 requests against limits of 1 never overflowed.");
    }

    [Fact]
    public async Task ThreeClientsOfThirtyRequestsOverflowOften()
    {
        using var _ = fixture.UseScenario("circuit-breaking");
        var details = new Uri(fixture.App.GetEndpoint("details", "http"), "/details/0");

        var answers = await LoadAsync(details, clients: 3, requests: 30);

        Assert.Equal(30, answers.Count);
        Assert.Contains(answers, a => a.Status == HttpStatusCode.OK);
        Assert.Contains(answers, a => a.Overloaded);
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.OK), a => Assert.Equal((HttpStatusCode.ServiceUnavailable, true), a));
    }

    private async Task<List<(HttpStatusCode Status, bool Overloaded)>> LoadAsync(Uri target, int clients, int requests)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { Timeout = TimeSpan.FromSeconds(30) };
            var answers = new List<(HttpStatusCode, bool)>();
            for (var i = 0; i < requests / clients; i++)
            {
                using var response = await client.GetAsync(target);
                answers.Add((response.StatusCode, response.Headers.Contains("x-envoy-overloaded")));
            }

            return answers;
        }));
        var all = results.SelectMany(r => r).ToList();
        output.WriteLine($"{clients} clients, {requests} requests: {all.Count(a => a.Item1 == HttpStatusCode.OK)} × 200, {all.Count(a => a.Item2)} × 503 overloaded");
        return all;
    }
}
