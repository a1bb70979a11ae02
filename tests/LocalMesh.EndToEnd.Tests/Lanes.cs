namespace LocalMesh.EndToEnd.Tests;

// The suite's lanes (xunit collections): the apps this process starts, and the processes it starts
// (the README's commands, the AppHost with bad input, the export), side by side, each lane one test
// after another (AssemblyInfo.cs); then the package's team app, alone. One lane's waits (a rate
// window, an orchestrator stopping, a build) are the other's time; a third lane was tried and made
// the machine (two cores) too slow for the timing the alert test and the template's tests need.

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

/// <summary>
/// The processes the suite starts, one at a time: README's commands as written (the steps share the
/// repository's build output), the AppHost with bad input, the export. An AppHost run as a process
/// takes its launch profile's fixed ports (the dashboard's 15888, its resource service's 20888) and
/// the gateway's 9080: two at once, in any lane, fail to start.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessesCollection
{
    public const string Name = "processes";
}

/// <summary>
/// The package in a team's app (Aspire's starter template): alone, once the other lanes are done,
/// as a team's machine runs it. The template's own tests give the app 30 s to be healthy, which a
/// second build and an app starting beside it can take on two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackageCollection
{
    public const string Name = "the package in a team's app";
}
