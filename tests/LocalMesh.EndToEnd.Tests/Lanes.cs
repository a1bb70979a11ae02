namespace LocalMesh.EndToEnd.Tests;

// The suite's lanes (xunit collections). The first three run side by side, each one test after
// another (AssemblyInfo.cs); the package's lane runs alone after them.

/// <summary>
/// The apps this process starts: the shared sample app (started once, for every test that only
/// reads from it or changes it and puts it back) and the tests that start an app of their own.
/// One at a time: two apps starting in one process would fight over two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SampleAppCollection : ICollectionFixture<SampleAppFixture>
{
    public const string Name = "sample app";
}

/// <summary>The README's commands, each run as written, one after another (they share the repository's build output and the gateway's port 9080).</summary>
[CollectionDefinition(Name)]
public sealed class ReadmeCommandsCollection
{
    public const string Name = "README commands";
}

/// <summary>The AppHost run as a separate process (bad input, the export), one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class AppHostProcessesCollection
{
    public const string Name = "AppHost processes";
}

/// <summary>
/// The package in a team's app (Aspire's starter template): alone, once the other lanes are done,
/// as a team's machine runs it. The template's own tests give the app 30 s to be healthy, which a
/// second build and two apps starting beside it can take on two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackageCollection
{
    public const string Name = "the package in a team's app";
}
