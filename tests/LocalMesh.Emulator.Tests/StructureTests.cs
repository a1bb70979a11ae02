namespace LocalMesh.Emulator.Tests;

/// <summary>The emulator's shape: its folders are concepts, and no two depend on each other, directly or around a loop.</summary>
public sealed class StructureTests
{
    [Fact]
    public void TheEmulatorsFoldersFormNoDependencyCycle()
    {
        var folders = FolderDependencies.Read(typeof(MeshServer).Assembly.Location, "LocalMesh.Emulator");

        Assert.True(folders.Cycles().Count == 0, $"Folders that depend on each other (each edge: the types that make it):\n{string.Join("\n", folders.Cycles())}");
    }
}
