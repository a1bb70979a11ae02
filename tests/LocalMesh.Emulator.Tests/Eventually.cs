namespace LocalMesh.Emulator.Tests;

/// <summary>Waiting for state that changes on another thread, with a cap: past it, the test fails.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan cap)
    {
        using var timeout = new CancellationTokenSource(cap);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
