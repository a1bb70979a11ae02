using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// Every command README.md shows in a shell block, run as written from the repository's root (or,
/// where README says so, in an AppHost's folder): a command that fails as written fails here.
/// </summary>
[Collection(ProcessesCollection.Name)]
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
        var temp = Directory.CreateTempSubdirectory("localmesh-readme-tmp-");
        var appHost = Directory.CreateTempSubdirectory("localmesh-readme-apphost-");
        try
        {
            // The repository's commands run with the machine's home, as a developer runs them: a restore
            // records the NuGet settings files it read (in the home) in each project's obj/, so another
            // home would rebuild the whole solution for every command. A command that changes NuGet's
            // settings (`dotnet nuget add source`) and the package steps, in an AppHost of their own,
            // get a home of their own, so they change no one's settings; NuGet's package folder stays
            // the machine's, so nothing is downloaded again.
            var machine = new Dictionary<string, string>
            {
                ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? home.FullName,
                // A temporary folder of the command's own, so the key check looks only at what it wrote.
                ["TMPDIR"] = temp.FullName,
                ["NUGET_PACKAGES"] = Repository.NuGetPackageRoot,
                ["DOTNET_NOLOGO"] = "1",
                ["PATH"] = await AspireCli.FolderAsync() + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            };
            var environment = inAppHostFolder || ChangesNuGetSettings(command) ? new Dictionary<string, string>(machine) { ["HOME"] = home.FullName } : machine;
            if (inAppHostFolder)
            {
                // The package source README's earlier lines add, in this home, and an AppHost to add the package to.
                await MustAsync("dotnet pack emulator/LocalMesh.Hosting -o artifacts/packages", Repository.Root, machine, TimeSpan.FromMinutes(3));
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
            temp.Delete(recursive: true);
            appHost.Delete(recursive: true);
        }
    }

    /// <summary>Whether the command changes the user's NuGet settings.</summary>
    private static bool ChangesNuGetSettings(string command) => command.StartsWith("dotnet nuget ", StringComparison.Ordinal);

    /// <summary>Whether the command starts the app (and so runs until stopped) rather than a step that ends.</summary>
    private static bool IsAppRun(string command) =>
        command.StartsWith("dotnet run ", StringComparison.Ordinal) && !command.Contains("--operation", StringComparison.Ordinal)
        || command == "aspire run";

    /// <summary>
    /// Starts the app as written and waits for the mesh to say it is ready and for the page it names
    /// to answer; then checks what a run holds (listeners on loopback only) and, once stopped as the
    /// background stops it (SIGTERM), what it leaves: no process, no socket, no private key on disk,
    /// and a console that said nothing per request.
    /// </summary>
    private static async Task RunsUntilReadyAsync(string command, string folder, IReadOnlyDictionary<string, string> environment)
    {
        var startedAt = DateTime.UtcNow;
        var start = IdeSessionEndpoint.WithoutIde(new ProcessStartInfo("bash", ["-c", $"exec {command}"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
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
        HashSet<int> tree = [];
        try
        {
            var exited = run.WaitForExitAsync();
            var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(4)));
            Assert.True(first == ready.Task, $"'{command}' did not say 'LocalMesh ready' within 4 minutes{(run.HasExited ? $" (it exited with {run.ExitCode})" : "")}:\n{string.Join('\n', output)}");
            var url = new Uri(await ready.Task);
            using (var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
            {
                using var page = await client.GetAsync(url);
                Assert.True(page.IsSuccessStatusCode, $"{url} answered {(int)page.StatusCode} once '{command}' said it was ready.");
            }

            // DCP detaches from the AppHost (its parent becomes init) and watches it with --monitor.
            var appHost = AppHostOf(run.Id);
            tree = Processes.All().Where(p => Processes.CommandLine(p).Contains($"--monitor {appHost} ", StringComparison.Ordinal))
                .SelectMany(dcp => Processes.Descendants(dcp).Append(dcp))
                .Concat(Processes.Descendants(run.Id)).Append(run.Id).ToHashSet();
            Assert.Contains(tree, p => Processes.CommandLine(p).Contains("samples/Ratings", StringComparison.Ordinal));
            var listeners = Sockets.Listeners().Where(l => tree.Contains(l.Pid)).ToList();
            Assert.Contains(listeners, l => l.Port == url.Port);
            Assert.All(listeners, l => Assert.True(System.Net.IPAddress.IsLoopback(l.Address), $"pid {l.Pid} listens on {l.Address}:{l.Port}"));

            Process.Start("kill", ["-TERM", appHost.ToString()])!.WaitForExit();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await run.WaitForExitAsync(exit.Token);
            // What the tree held when the app was ready, and what the app started later (a function
            // instance activated as it stopped).
            IEnumerable<int> Left() => tree.Concat(AppProcesses(environment["TMPDIR"])).Distinct().Where(Processes.IsAlive);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Left().Any() && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            Assert.Empty(Left().Select(pid => $"{pid}: {Processes.CommandLine(pid)}"));
            // No socket of theirs lives on in another process (one that inherited it); another
            // program may meanwhile listen on a port they used, with a socket of its own.
            Assert.DoesNotContain(Sockets.Listeners(), l => listeners.Any(before => before.Inode == l.Inode));
        }
        finally
        {
            if (!run.HasExited)
            {
                run.Kill(entireProcessTree: true);
            }

            foreach (var pid in tree.Concat(AppProcesses(environment["TMPDIR"])).Where(Processes.IsAlive))
            {
                Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            }
        }

        // The mesh's CA and workload keys lived in memory only: not in the run's temporary folder,
        // the home's .dotnet (where .NET keeps X509 stores) or the AppHost's folder (its working directory).
        Assert.Empty(PrivateKeys.WrittenSince(startedAt, environment["TMPDIR"], Path.Combine(environment["HOME"], ".dotnet"), Path.Combine(Repository.Root, "AppHost")));
        // The console says when the app is ready and where to go, and nothing per request.
        Assert.DoesNotContain(output, line => line.Contains("Request starting", StringComparison.Ordinal) || line.Contains("Request finished", StringComparison.Ordinal));
    }

    /// <summary>The AppHost process under a command that runs the app (<c>dotnet run</c> starts it as a child).</summary>
    /// <summary>
    /// The app's processes of a run, found by its temporary folder, which every process of the run
    /// inherits: the AppHost, the orchestrator and the sample's services and function instances (not
    /// the build's own servers, which outlive a build by design).
    /// </summary>
    private static IEnumerable<int> AppProcesses(string temporaryFolder) => Processes.WithEnvironment("TMPDIR", temporaryFolder)
        .Where(pid => Processes.CommandLine(pid) is var line
            && (line.Contains("/samples/", StringComparison.Ordinal) || line.Contains("AppHost", StringComparison.Ordinal) || line.Contains("dcp", StringComparison.Ordinal)));

    private static int AppHostOf(int run) => Processes.Descendants(run).Append(run).Single(pid => AppHostCommand().IsMatch(Processes.CommandLine(pid)));

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
