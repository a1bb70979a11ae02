using System.Diagnostics;
using System.Text;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>Commands run to their end, and Linux's process tree from /proc.</summary>
internal static class Processes
{
    /// <summary>Runs a command to its end, as a person would in a terminal: the exit code and everything it wrote (standard output, then standard error), its time capped.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string command, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = IdeSessionEndpoint.WithoutIde(new ProcessStartInfo(command)
        {
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"'{command} {string.Join(' ', args)}' did not finish within {timeout.TotalSeconds:0} s:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, output.Append(await stdout).Append(await stderr).ToString());
    }

    public static IEnumerable<int> All() => Directory.EnumerateDirectories("/proc")
        .Select(directory => int.TryParse(Path.GetFileName(directory), out var pid) ? pid : -1)
        .Where(pid => pid > 0)
        .ToList();

    public static IEnumerable<int> Descendants(int root)
    {
        var parents = All().Select(pid => (Pid: pid, Parent: ParentOf(pid))).ToList();
        var found = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(p => p.Parent == parent).Select(p => p.Pid))
            {
                found.Add(child);
                frontier.Enqueue(child);
            }
        }

        return found;
    }

    /// <summary>The processes whose environment has <paramref name="name"/>=<paramref name="value"/>: everything a process started inherits it, whatever became of its parent.</summary>
    public static IEnumerable<int> WithEnvironment(string name, string value) =>
        All().Where(pid => ReadOrEmpty($"/proc/{pid}/environ").Split('\0').Contains($"{name}={value}", StringComparer.Ordinal)).ToList();

    public static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !ReadOrEmpty($"/proc/{pid}/stat").Split(')').Last().TrimStart().StartsWith('Z');

    public static string CommandLine(int pid) => ReadOrEmpty($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();

    private static int ParentOf(int pid)
    {
        // "pid (comm) state ppid ..." — comm may hold spaces, so split after the last ')'.
        var fields = ReadOrEmpty($"/proc/{pid}/stat").Split(')').Last().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], out var parent) ? parent : -1;
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
