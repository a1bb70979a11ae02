using System.Diagnostics;
using LocalMesh.Emulator.Security;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// An outbound sidecar serves only its workload's processes (Linux): the workload's process and
/// its descendants get through; any other local process is reset, counted and logged.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class CallerProcessesTests : IAsyncLifetime
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);
    private readonly RecordingLoggerProvider _logs = new();
    private ILoggerFactory _loggerFactory = null!;
    private MeshServer _server = null!;
    private TestBackend _backend = null!;

    private Uri Outbound => _server.Addresses["outbound|caller|backend"];

    public async Task InitializeAsync()
    {
        _loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(_logs));
        _server = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend(), new MeshServerOptions { LoggerFactory = _loggerFactory });
        _backend = await TestBackend.StartAsync("backend");
        foreach (var (workload, replica) in new[] { ("backend-v1", 0), ("backend-v1", 1), ("backend-v2", 0) })
        {
            _server.State.SetApplication(workload, replica, _backend.Address);
        }
    }

    [Fact]
    public async Task TheWorkloadsOwnProcessGetsThrough()
    {
        Assert.True(CallerProcesses.IsSupported, "The check reads /proc: these tests run on Linux.");
        _server.CallerProcesses.Set("caller", 0, Environment.ProcessId);

        using var client = new HttpClient { Timeout = Cap };
        Assert.Equal("backend", await client.GetStringAsync(Outbound));
    }

    [Fact]
    public async Task AProcessTheWorkloadStartedGetsThroughAndAnyOtherIsResetAndLogged()
    {
        Assert.True(CallerProcesses.IsSupported, "The check reads /proc: these tests run on Linux.");

        // A workload whose process starts a child that calls through the sidecar, as `npm start` starts node.
        using (var workload = Start())
        {
            _server.CallerProcesses.Set("caller", 0, workload.Id);
            Assert.StartsWith("HTTP/1.1 200", await CallFromChildAsync(workload), StringComparison.Ordinal);
        }

        // The same call from a process that is not the workload's.
        using var other = Start();
        using var sleeper = Process.Start("sleep", "30");
        try
        {
            _server.CallerProcesses.Set("caller", 0, sleeper.Id);
            Assert.DoesNotContain("HTTP/1.1", await CallFromChildAsync(other), StringComparison.Ordinal);
            Assert.Contains(_logs.Entries, entry => entry.Level == LogLevel.Warning
                && entry.Message.StartsWith("Refused a connection to outbound|caller|backend from process ", StringComparison.Ordinal)
                && entry.Message.Contains($"only caller's processes ({sleeper.Id})", StringComparison.Ordinal));
        }
        finally
        {
            sleeper.Kill();
        }
    }

    /// <summary>A shell that, once told to, starts a child shell which sends one request to the outbound sidecar over /dev/tcp and prints the answer.</summary>
    private Process Start() => Process.Start(new ProcessStartInfo("bash")
    {
        ArgumentList =
        {
            "-c",
            "read go; bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 && printf \"GET / HTTP/1.1\\r\\nHost: backend\\r\\nConnection: close\\r\\n\\r\\n\" >&3 && cat <&3' " + Outbound.Port,
        },
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    })!;

    private static async Task<string> CallFromChildAsync(Process shell)
    {
        await shell.StandardInput.WriteLineAsync("go");
        await shell.StandardInput.FlushAsync();
        var answer = await shell.StandardOutput.ReadToEndAsync().WaitAsync(Cap);
        await shell.WaitForExitAsync().WaitAsync(Cap);
        return answer;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _backend.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
