using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The sample driven by Istio YAML alone (<c>--mesh-config</c>), as a team's own files would drive it.</summary>
public sealed partial class MeshConfigFilesTests
{
    [GeneratedRegex("class=\"stars\" data-color=\"([a-z]+)\"")]
    private static partial Regex Stars();

    [Fact]
    public async Task TheSamplesIstioFilesSendJasonToV2WithRatingsFailingAndEveryoneElseToV1()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var files = Path.Combine(Repository.Root, "samples", "istio");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--IngressPort=0", "--mesh-config", files], cancellation.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        await using var app = await builder.BuildAsync(cancellation.Token);
        await app.StartAsync(cancellation.Token);
        await app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);

        // The rules came from the files: the C# model declares none with --mesh-config.
        var reviews = app.GetMesh().Config.Services.Single(s => s.Name == "reviews");
        Assert.Equal(["jason", "everyone-else"], reviews.Http.Select(route => route.Name));

        using var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = app.GetEndpoint("ingress", "http"), Timeout = TimeSpan.FromSeconds(30) };
        for (var load = 0; load < 4; load++)
        {
            var jason = await client.GetStringAsync("/productpage?user=jason", cancellation.Token);
            Assert.Contains("Reviews served by: reviews-v2-", jason);
            Assert.Contains("Ratings service is currently unavailable", jason);

            var anyone = await client.GetStringAsync("/productpage?user=", cancellation.Token);
            Assert.Contains("Reviews served by: reviews-v1-", anyone);
            Assert.DoesNotMatch(Stars(), anyone);
        }

        await app.StopAsync(cancellation.Token);
    }
}
