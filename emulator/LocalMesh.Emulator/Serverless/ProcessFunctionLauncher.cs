using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Serverless;

/// <summary>
/// Starts each function instance as a real process: an ASP.NET Core app told to listen on a
/// loopback port of its own choosing, ready once it logs the address it listens on (Knative's
/// default readiness is a TCP probe, which that line means has passed).
/// </summary>
/// <param name="startInfo">The process for an instance: file name, arguments and environment; may fail with <see cref="FunctionStartException"/>.</param>
/// <param name="output">Receives every line an instance writes (which instance, the line, whether it came from stderr).</param>
/// <param name="ownerProcessId">
/// The process whose end ends every instance, however it ends (a debugger's stop is a SIGKILL, which
/// leaves no chance to clean up); this process by default.
/// </param>
internal sealed partial class ProcessFunctionLauncher(
    Func<FunctionInstanceRequest, CancellationToken, ValueTask<ProcessStartInfo>> startInfo,
    Action<FunctionInstanceRequest, string, bool>? output = null,
    int? ownerProcessId = null) : IFunctionLauncher
{
    /// <summary>
    /// Runs the instance as a child of a small shell that ends it when the owner is gone, and
    /// passes SIGTERM on to it — also one that arrives before the instance has started, which the
    /// trap, set first, keeps from ending the shell alone. The shell's exit code is the instance's.
    /// </summary>
    private const string Watchdog = """
        stopping=
        child=
        trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
        "$@" &
        child=$!
        while [ -z "$stopping" ] && kill -0 "$LOCALMESH_OWNER_PID" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
          sleep 1 & wait $!
        done
        kill -TERM "$child" 2>/dev/null
        while :; do
          wait "$child"
          status=$?
          kill -0 "$child" 2>/dev/null || exit $status
        done
        """;

    /// <summary>How long an instance gets to stop after SIGTERM before it is killed.</summary>
    public static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task<IFunctionInstance> StartAsync(FunctionInstanceRequest request, CancellationToken cancellationToken)
    {
        var info = WatchedByOwner(await startInfo(request, cancellationToken));
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        // Port 0: the instance picks a free port itself, so there is no race for one.
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["K_REVISION"] = request.Revision.Name;
        info.Environment["K_SERVICE"] = request.Revision.Service;

        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, line) => OnLine(line.Data, error: false);
        process.ErrorDataReceived += (_, line) => OnLine(line.Data, error: true);
        process.Exited += (_, _) => listening.TrySetException(new FunctionStartException($"the process exited with code {process.ExitCode} before it listened."));
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new FunctionStartException($"could not run '{info.FileName}': {ex.Message}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var instance = new ProcessInstance(request.Name, process, listening.Task);
        try
        {
            await listening.Task.WaitAsync(cancellationToken);
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        void OnLine(string? line, bool error)
        {
            if (line is null)
            {
                return;
            }

            if (!listening.Task.IsCompleted && ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }

            output?.Invoke(request, line, error);
        }
    }

    /// <summary>The same process under the watchdog shell, where there is one (not on Windows).</summary>
    private ProcessStartInfo WatchedByOwner(ProcessStartInfo info)
    {
        if (OperatingSystem.IsWindows() || !File.Exists("/bin/sh"))
        {
            return info;
        }

        var watched = new ProcessStartInfo("/bin/sh") { WorkingDirectory = info.WorkingDirectory };
        foreach (var argument in new[] { "-c", Watchdog, "localmesh-instance", info.FileName }.Concat(info.ArgumentList))
        {
            watched.ArgumentList.Add(argument);
        }

        if (info.ArgumentList.Count == 0 && !string.IsNullOrEmpty(info.Arguments))
        {
            throw new ArgumentException("Give the instance's arguments as ArgumentList, not as one Arguments string.", nameof(info));
        }

        foreach (var (name, value) in info.Environment)
        {
            watched.Environment[name] = value;
        }

        watched.Environment["LOCALMESH_OWNER_PID"] = (ownerProcessId ?? Environment.ProcessId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return watched;
    }

    [GeneratedRegex(@"Now listening on: (http://[^\s/]+)")]
    private static partial Regex ListeningLine();

    private sealed class ProcessInstance(string name, Process process, Task<Uri> listening) : IFunctionInstance
    {
        private int _disposed;

        public string Name => name;

        public Uri Address => listening.Result;

        public Task Exited { get; } = process.WaitForExitAsync();

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            try
            {
                if (!process.HasExited)
                {
                    // SIGTERM first, as the kubelet does, so the app can finish its requests.
                    if (OperatingSystem.IsWindows() || SendTerminate(process.Id) != 0)
                    {
                        process.Kill(entireProcessTree: true);
                    }

                    await Exited.WaitAsync(StopGracePeriod).ConfigureAwait(false);
                }
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It had already gone.
            }
            finally
            {
                process.Dispose();
            }
        }

        private static int SendTerminate(int pid) => Kill(pid, 15);

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int Kill(int pid, int signal);
    }
}
