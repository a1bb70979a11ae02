using System.Collections.Immutable;
using System.Diagnostics;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Serverless;

namespace LocalMesh.Emulator.Tests;

/// <summary>Function instances as real processes (POSIX): ready when they listen, stopped by SIGTERM, and never outliving their owner.</summary>
public sealed class ProcessFunctionLauncherTests
{
    private static readonly FunctionInstanceRequest Request = new(
        new WorkloadConfig("fn-00001", "fn", ImmutableDictionary<string, string>.Empty, "fn", 1) { Scaling = new FunctionScaling() }, 1);

    /// <summary>A stand-in for an ASP.NET Core app: it says where it listens, then runs until stopped.</summary>
    private static ProcessFunctionLauncher Launcher(string script, int? owner = null) =>
        new((_, _) => ValueTask.FromResult(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", script } }), ownerProcessId: owner);

    private const string ListeningApp = "echo \"Now listening on: http://127.0.0.1:4242\"; exec sleep 60";

    [Fact]
    public async Task AnInstanceIsReadyWhenItSaysWhereItListensAndSigtermStopsIt()
    {
        var instance = await Launcher(ListeningApp).StartAsync(Request, CancellationToken.None);

        Assert.Equal(new Uri("http://127.0.0.1:4242"), instance.Address);
        Assert.False(instance.Exited.IsCompleted);
        await instance.DisposeAsync();
        await instance.Exited.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AnInstanceEndsWhenItsOwnerIsKilled()
    {
        using var owner = Process.Start("sleep", "60");
        var instance = await Launcher(ListeningApp, owner.Id).StartAsync(Request, CancellationToken.None);
        try
        {
            owner.Kill(); // SIGKILL: the owner cannot clean up, as when a debugger stops the AppHost

            await instance.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await instance.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnInstanceStoppedAsItStartsDoesNotOutliveItsStart()
    {
        // A start cancelled at once (the mesh stopping as a function is activated) sends SIGTERM
        // while the watchdog is still starting the instance; done often enough to land in that window.
        // Every process of this test carries a mark in its environment, so what is left can be found.
        var mark = Guid.NewGuid().ToString("N");
        var launcher = new ProcessFunctionLauncher((_, _) => ValueTask.FromResult(
            new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", ListeningApp }, Environment = { ["LOCALMESH_TEST_MARK"] = mark } }));
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => launcher.StartAsync(Request, cancelled.Token));
        }

        await Eventually.TrueAsync(() => Marked(mark).Count == 0, TimeSpan.FromSeconds(10), "no process of the cancelled starts is left");

        static List<int> Marked(string mark)
        {
            var found = new List<int>();
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                try
                {
                    if (int.TryParse(Path.GetFileName(directory), out var pid)
                        && File.ReadAllText(Path.Combine(directory, "environ")).Contains($"LOCALMESH_TEST_MARK={mark}", StringComparison.Ordinal)
                        // A zombie runs no more; its parent reaps it.
                        && File.ReadAllText(Path.Combine(directory, "stat")).Split(')')[^1].Trim()[0] != 'Z')
                    {
                        found.Add(pid);
                    }
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    // Gone meanwhile, or not ours to read.
                }
            }

            return found;
        }
    }

    [Fact]
    public async Task AnInstanceThatExitsBeforeItListensFailsToStartWithItsExitCode()
    {

        var failure = await Assert.ThrowsAsync<FunctionStartException>(() => Launcher("echo starting; exit 3").StartAsync(Request, CancellationToken.None));

        Assert.Equal("the process exited with code 3 before it listened.", failure.Message);
    }
}
