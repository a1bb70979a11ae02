namespace LocalMesh.EndToEnd.Tests;

/// <summary>Aspire's CLI, as a team installs it (<c>dotnet tool install Aspire.Cli</c>), in a tools folder shared by test runs.</summary>
internal static class AspireCli
{
    public const string Version = "13.6.5";

    private static readonly SemaphoreSlim Installing = new(1, 1);

    /// <summary>The folder holding the <c>aspire</c> command, installed on first use.</summary>
    public static async Task<string> FolderAsync()
    {
        var tools = Path.Combine(Path.GetTempPath(), "localmesh-tools", $"aspire-{Version}");
        await Installing.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(tools, "aspire")))
            {
                var (exitCode, output) = await Processes.RunAsync("dotnet", ["tool", "install", "Aspire.Cli", "--version", Version, "--tool-path", tools], TimeSpan.FromMinutes(3));
                Assert.True(exitCode == 0, $"dotnet tool install Aspire.Cli failed ({exitCode}):\n{output}");
            }

            return tools;
        }
        finally
        {
            Installing.Release();
        }
    }
}
