namespace LocalMesh.EndToEnd.Tests;

/// <summary>Private keys found on disk: the mesh's CA and workload keys must live in memory only.</summary>
internal static class PrivateKeys
{
    /// <summary>Files under <paramref name="roots"/> written since <paramref name="since"/> that hold a private key (PEM or PKCS#12).</summary>
    public static List<string> WrittenSince(DateTime since, params string[] roots)
    {
        var found = new List<string>();
        var pending = new Stack<DirectoryInfo>(roots.Where(Directory.Exists).Select(root => new DirectoryInfo(root)));
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        while (pending.TryPop(out var directory))
        {
            // Build output and packages hold no keys of ours.
            foreach (var child in directory.EnumerateDirectories("*", options).Where(d => d.Name is not ("bin" or "obj" or "node_modules" or ".git")))
            {
                pending.Push(child);
            }

            found.AddRange(directory.EnumerateFiles("*", options)
                // Length > 0 also leaves out pipes and sockets, which would block a read.
                .Where(file => file.LastWriteTimeUtc >= since && file.Length is > 0 and < 1_000_000)
                .Where(file => file.Extension is ".pfx" or ".p12" or ".key" || ContainsPrivateKey(file))
                .Select(file => file.FullName));
        }

        return found;
    }

    private static bool ContainsPrivateKey(FileInfo file)
    {
        try
        {
            return File.ReadAllText(file.FullName).Contains("PRIVATE KEY-----", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
