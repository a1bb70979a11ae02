using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The model's alert, evaluated by the real Prometheus the mesh runs, as a fault drill shows it in the dashboard.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class AlertTests(SampleAppFixture fixture)
{
    /// <summary>Scrapes and evaluations every 5 s, the window and the for: what the alert needs to change, with room for a busy machine.</summary>
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(90);

    [RequiresCommandFact("prometheus", "Debian: apt-get install prometheus; .ci/run installs it")]
    public async Task AnAbortOnRatingsMakesTheErrorRateAlertPendingThenFiringAndClearingItResolvesIt()
    {
        var notifications = fixture.App.Services.GetRequiredService<ResourceNotificationService>();
        var mesh = fixture.App.GetMesh();
        using var traffic = new CancellationTokenSource();
        // Pages all along: reviews v2 and v3 call ratings on each.
        var pages = Task.Run(async () =>
        {
            while (!traffic.IsCancellationRequested)
            {
                try
                {
                    await fixture.LoadPageAsync(null);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // A page that failed is still traffic; the alert is what is tested.
                }
            }
        });
        try
        {
            await MeshAlerts.WaitAsync(notifications, alerts => alerts.Contains("MeshServiceHighErrorRate: inactive", StringComparison.Ordinal), Cap);

            mesh.SetFault("ratings", new HttpFaultInjection { Abort = new FaultAbort(500, 100) });
            // Pending while the rate over the window climbs (part of it is still from before the abort), firing once it has held for its for.
            await MeshAlerts.WaitAsync(notifications, alerts => alerts.Contains("MeshServiceHighErrorRate: pending — ratings (value ", StringComparison.Ordinal), Cap);
            var firing = await MeshAlerts.WaitAsync(notifications, alerts => alerts.Contains("MeshServiceHighErrorRate: firing — ratings (value 1", StringComparison.Ordinal), Cap);
            Assert.Contains("since ", firing);
            // On ratings itself too, where a developer looks first.
            await RatingsAlertsAsync(notifications, "MeshServiceHighErrorRate: firing (value 1)");

            mesh.ClearFaults("ratings");
            await MeshAlerts.WaitAsync(notifications, alerts => alerts.Contains("MeshServiceHighErrorRate: inactive", StringComparison.Ordinal), Cap);
            await RatingsAlertsAsync(notifications, "none");
        }
        finally
        {
            mesh.ClearFaults();
            await traffic.CancelAsync();
            await pages;
        }
    }

    private static async Task RatingsAlertsAsync(ResourceNotificationService notifications, string expected)
    {
        using var cap = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await notifications.WaitForResourceAsync("ratings", e => e.Snapshot.Properties.Any(p => p.Name == "mesh.alerts" && p.Value as string == expected), cap.Token);
    }
}
