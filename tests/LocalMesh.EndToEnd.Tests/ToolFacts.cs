namespace LocalMesh.EndToEnd.Tests;

/// <summary>A test that needs an outside tool named by an environment variable; skipped, saying why, when it is not set.</summary>
public sealed class RequiresEnvironmentFactAttribute : FactAttribute
{
    public RequiresEnvironmentFactAttribute(string variable, string what)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            Skip = $"{variable} is not set: it should point at {what}.";
        }
    }
}

/// <summary>A test that needs a command on the PATH; skipped, saying why, when it is absent.</summary>
public sealed class RequiresCommandFactAttribute : FactAttribute
{
    public RequiresCommandFactAttribute(string command)
    {
        if (!OnPath(command))
        {
            Skip = $"{command} is not installed (not on PATH).";
        }
    }

    internal static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, command)));
}
