namespace LocalMesh.EndToEnd.Tests;

/// <summary>The alert states the mesh shows in the dashboard (its <c>mesh.alerts</c> property).</summary>
internal static class MeshAlerts
{
    /// <summary>The mesh's alerts once they satisfy <paramref name="expected"/>; fails after <paramref name="cap"/>, saying what they were.</summary>
    public static async Task<string> WaitAsync(ResourceNotificationService notifications, Func<string, bool> expected, TimeSpan cap)
    {
        using var cancellation = new CancellationTokenSource(cap);
        string? last = null;
        try
        {
            await notifications.WaitForResourceAsync("mesh",
                e => (last = e.Snapshot.Properties.FirstOrDefault(p => p.Name == "mesh.alerts")?.Value?.ToString()) is { } alerts && expected(alerts),
                cancellation.Token);
            return last!;
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"The mesh's alerts did not change as expected within {cap.TotalSeconds:0} s; they are: {last ?? "(not shown)"}");
        }
    }
}
