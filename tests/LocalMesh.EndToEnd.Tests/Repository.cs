using System.Diagnostics;
using System.Reflection;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>The checkout the tests run from, and the AppHost built in it.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests (and so the AppHost) were built with.</summary>
    public static string Configuration { get; } =
        typeof(Repository).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>NuGet's global packages folder, as the tests were restored with.</summary>
    public static string NuGetPackageRoot { get; } =
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages ? packages
            : typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(attribute => attribute.Key == "NuGetPackageRoot").Value!;

    /// <summary>Runs the built AppHost through <c>dotnet run</c>, as the README does, without building again.</summary>
    public static ProcessStartInfo AppHost(params string[] args)
    {
        var start = IdeSessionEndpoint.WithoutIde(new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
        foreach (var arg in new[] { "run", "--project", "AppHost", "--no-build", "-c", Configuration, "--" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Dev.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Dev.sln above {AppContext.BaseDirectory}.");
    }
}
