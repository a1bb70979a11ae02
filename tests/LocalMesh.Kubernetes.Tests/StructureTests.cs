namespace LocalMesh.Kubernetes.Tests;

/// <summary>The export's shape: its folders (export, import, deploy, the custom resources) depend on each other in one direction only.</summary>
public sealed class StructureTests
{
    [Fact]
    public void TheKubernetesLibrarysFoldersFormNoDependencyCycle()
    {
        var folders = FolderDependencies.Read(typeof(Export.IstioExporter).Assembly.Location, "LocalMesh.Kubernetes");

        Assert.True(folders.Cycles().Count == 0, $"Folders that depend on each other (each edge: the types that make it):\n{string.Join("\n", folders.Cycles())}");
    }
}
