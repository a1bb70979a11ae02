namespace LocalMesh.Bench;

internal static class Repository
{
    /// <summary>The repository's root: the directory above this program's that holds Dev.sln.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Dev.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Run the bench from inside the repository.");
    }
}
