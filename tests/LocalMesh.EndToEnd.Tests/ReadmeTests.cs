using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// Every command README.md shows in a shell block, run as written from the repository's root (or,
/// where README says so, in an AppHost's folder): a command that fails as written fails here.
/// </summary>
public sealed partial class ReadmeTests
{
    /// <summary>The one command not run: it is the command that runs this test.</summary>
    private const string TestCommand = "dotnet test Dev.sln";

    /// <summary>Each shell line of README.md, with where README says to run it.</summary>
    public static TheoryData<string, bool> Commands()
    {
        var data = new TheoryData<string, bool>();
        foreach (var line in ShellLines(File.ReadAllText(Path.Combine(Repository.Root, "README.md"))))
        {
            if (line.Command != TestCommand)
            {
                data.Add(line.Command, line.InAppHostFolder);
            }
        }

        return data;
    }

    [Fact]
    public void TheReadmeShowsTheTwoCommandsAndEveryShellLineIsACommandThisTestRuns()
    {
        var lines = ShellLines(File.ReadAllText(Path.Combine(Repository.Root, "README.md"))).ToList();
        Assert.Equal(["dotnet run --project AppHost", TestCommand], lines.Take(2).Select(line => line.Command));
        Assert.All(lines, line => Assert.Matches("^(dotnet|aspire) ", line.Command));
        Assert.Contains(lines, line => line.Command.StartsWith("aspire ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.InAppHostFolder);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task TheCommandWorksAsWritten(string command, bool inAppHostFolder)
    {
        var home = Directory.CreateTempSubdirectory("localmesh-readme-home-");
        var appHost = Directory.CreateTempSubdirectory("localmesh-readme-apphost-");
        try
        {
            // A home of its own, so `dotnet nuget add source` changes no one's NuGet settings; NuGet's
            // package folder stays the machine's, so nothing is downloaded again.
            var environment = new Dictionary<string, string>
            {
                ["HOME"] = home.FullName,
                ["NUGET_PACKAGES"] = Repository.NuGetPackageRoot,
                ["DOTNET_NOLOGO"] = "1",
                ["PATH"] = await AspireCli.FolderAsync() + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            };
            if (inAppHostFolder)
            {
                // The package source README's earlier lines add, in this home, and an AppHost to add the package to.
                await MustAsync("dotnet pack emulator/LocalMesh.Hosting -o artifacts/packages", Repository.Root, environment, TimeSpan.FromMinutes(3));
                await MustAsync("dotnet nuget add source \"$PWD/artifacts/packages\" --name localmesh", Repository.Root, environment, TimeSpan.FromMinutes(1));
                File.WriteAllText(Path.Combine(appHost.FullName, "AppHost.csproj"),
                    """
                    <Project Sdk="Microsoft.NET.Sdk">
                      <PropertyGroup>
                        <OutputType>Exe</OutputType>
                        <TargetFramework>net10.0</TargetFramework>
                      </PropertyGroup>
                    </Project>
                    """);
            }

            var folder = inAppHostFolder ? appHost.FullName : Repository.Root;
            if (IsAppRun(command))
            {
                await RunsUntilReadyAsync(command, folder, environment);
            }
            else
            {
                await MustAsync(command, folder, environment, TimeSpan.FromMinutes(4));
            }
        }
        finally
        {
            home.Delete(recursive: true);
            appHost.Delete(recursive: true);
        }
    }

    /// <summary>Whether the command starts the app (and so runs until stopped) rather than a step that ends.</summary>
    private static bool IsAppRun(string command) =>
        command.StartsWith("dotnet run ", StringComparison.Ordinal) && !command.Contains("--operation", StringComparison.Ordinal)
        || command == "aspire run";

    /// <summary>Starts the app as written, waits for the mesh to say it is ready and for the page it names to answer, then stops it as Ctrl+C would.</summary>
    private static async Task RunsUntilReadyAsync(string command, string folder, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", ["-c", $"exec {command}"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var run = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        run.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { } text)
            {
                output.Enqueue(text);
                if (ReadyLine().Match(text) is { Success: true } match)
                {
                    ready.TrySetResult(match.Groups["url"].Value);
                }
            }
        };
        run.ErrorDataReceived += (_, line) => output.Enqueue(line.Data ?? "");
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        try
        {
            var exited = run.WaitForExitAsync();
            var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(4)));
            Assert.True(first == ready.Task, $"'{command}' did not say 'LocalMesh ready' within 4 minutes{(run.HasExited ? $" (it exited with {run.ExitCode})" : "")}:\n{string.Join('\n', output)}");
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using var page = await client.GetAsync(await ready.Task);
            Assert.True(page.IsSuccessStatusCode, $"{await ready.Task} answered {(int)page.StatusCode} once '{command}' said it was ready.");
        }
        finally
        {
            // SIGTERM to the AppHost (what stops it in the background); DCP then stops what it started.
            foreach (var child in Processes.Descendants(run.Id).Where(pid => AppHostCommand().IsMatch(Processes.CommandLine(pid))))
            {
                Process.Start("kill", ["-TERM", child.ToString()])!.WaitForExit();
            }

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await run.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                run.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task MustAsync(string command, string folder, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var (exitCode, output) = await Processes.RunAsync("bash", ["-c", command], timeout, folder, environment);
        Assert.True(exitCode == 0, $"'{command}' in {folder} failed ({exitCode}):\n{output}");
    }

    /// <summary>The lines of README's <c>sh</c> blocks, without comments; a block right after a paragraph ending "in your AppHost's folder:" runs there.</summary>
    private static IEnumerable<(string Command, bool InAppHostFolder)> ShellLines(string readme)
    {
        foreach (Match block in ShellBlock().Matches(readme))
        {
            var inAppHost = block.Groups["before"].Value.TrimEnd().EndsWith("in your AppHost's folder:", StringComparison.Ordinal);
            foreach (var line in block.Groups["body"].Value.Split('\n'))
            {
                var command = Regex.Replace(line, @"\s+#.*$", "").Trim();
                if (command.Length > 0)
                {
                    yield return (command, inAppHost);
                }
            }
        }
    }

    [GeneratedRegex(@"(?<before>[^\n]*)\n\n```sh\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"LocalMesh ready in \d+ s: (?<url>http://\S+)")]
    private static partial Regex ReadyLine();

    [GeneratedRegex(@"/AppHost(\.dll)?( |$)")]
    private static partial Regex AppHostCommand();
}
