using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The model's alert, evaluated by the real Prometheus the mesh runs, as a fault drill shows it in the dashboard.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class AlertTests(SampleAppFixture fixture)
{
    /// <summary>Scrapes and evaluations every 5 s, the window and the for: what the alert needs to change, with room for a busy machine.</summary>
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(90);

    [RequiresCommandFact("prometheus")]
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
            await AlertsAsync(notifications, alerts => alerts.Contains("MeshServiceHighErrorRate: inactive", StringComparison.Ordinal));

            mesh.SetFault("ratings", new HttpFaultInjection { Abort = new FaultAbort(500, 100) });
            // Pending while the rate over the window climbs (part of it is still from before the abort), firing once it has held for its for.
            await AlertsAsync(notifications, alerts => alerts.Contains("MeshServiceHighErrorRate: pending — ratings (value ", StringComparison.Ordinal));
            var firing = await AlertsAsync(notifications, alerts => alerts.Contains("MeshServiceHighErrorRate: firing — ratings (value 1", StringComparison.Ordinal));
            Assert.Contains("since ", firing);

            mesh.ClearFaults("ratings");
            await AlertsAsync(notifications, alerts => alerts.Contains("MeshServiceHighErrorRate: inactive", StringComparison.Ordinal));
        }
        finally
        {
            mesh.ClearFaults();
            await traffic.CancelAsync();
            await pages;
        }
    }

    /// <summary>The mesh's alerts property once it satisfies <paramref name="expected"/>; fails after the cap.</summary>
    private static async Task<string> AlertsAsync(ResourceNotificationService notifications, Func<string, bool> expected)
    {
        using var cap = new CancellationTokenSource(Cap);
        string? last = null;
        try
        {
            var update = await notifications.WaitForResourceAsync("mesh",
                e => (last = e.Snapshot.Properties.FirstOrDefault(p => p.Name == "mesh.alerts")?.Value?.ToString()) is { } alerts && expected(alerts),
                cap.Token);
            return last!;
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"The mesh's alerts did not change as expected within {Cap.TotalSeconds:0} s; they are: {last ?? "(not shown)"}");
        }
    }
}
