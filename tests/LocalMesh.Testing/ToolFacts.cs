using System.Runtime.CompilerServices;
using Xunit;

namespace LocalMesh.Testing;

/// <summary>
/// A test that needs an outside tool named by an environment variable; skipped without it. The
/// reason is in the test's name, so the runner's default output says why it was skipped.
/// </summary>
public sealed class RequiresEnvironmentFactAttribute : FactAttribute
{
    public RequiresEnvironmentFactAttribute(string variable, string what, [CallerMemberName] string test = "")
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            Skip = $"{variable} is not set: it should point at {what}.";
            DisplayName = $"{test} (skipped: {Skip})";
        }
    }
}

/// <summary>
/// A test that needs a command on the PATH; skipped without it. The reason is in the test's name,
/// so the runner's default output says why it was skipped.
/// </summary>
public sealed class RequiresCommandFactAttribute : FactAttribute
{
    public RequiresCommandFactAttribute(string command, string install, [CallerMemberName] string test = "")
    {
        if (!OnPath(command))
        {
            Skip = $"{command} is not installed (not on PATH): {install}.";
            DisplayName = $"{test} (skipped: {Skip})";
        }
    }

    /// <summary>Whether <paramref name="command"/> is a file in a folder of the PATH.</summary>
    public static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, command)));
}
