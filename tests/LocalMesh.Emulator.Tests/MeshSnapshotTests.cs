using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Telemetry;

namespace LocalMesh.Emulator.Tests;

public sealed class MeshSnapshotTests
{
    private static readonly Dictionary<string, int> Ports = MeshFixtures.CallerAndBackend().Listeners
        .Select((listener, index) => (listener.Name, Port: 20000 + index))
        .ToDictionary(pair => pair.Name, pair => pair.Port);

    [Fact]
    public void AServiceUpstreamsAreItsReadyReplicasReachedThroughTheirInboundSidecars()
    {
        var snapshot = MeshSnapshot.Build(MeshFixtures.CallerAndBackend(), Ports, new Dictionary<string, Uri>
        {
            ["inbound|backend-v1|1"] = new("http://127.0.0.1:9001"),
            ["inbound|backend-v2|0"] = new("http://127.0.0.1:9002"),
        }, version: 1);

        var upstreams = snapshot.Upstreams["backend"];

        Assert.Equal(["backend-v1/1", "backend-v2/0"], upstreams.Select(u => u.Name));
        Assert.Equal(new Uri($"http://127.0.0.1:{Ports["inbound|backend-v1|1"]}"), upstreams[0].Address);
        Assert.Equal("v2", upstreams[1].Labels["version"]);
        Assert.Empty(snapshot.Upstreams["caller"]);
    }

    [Fact]
    public void EachBoundListenerIsFoundByItsPort()
    {
        var snapshot = MeshSnapshot.Build(MeshFixtures.CallerAndBackend(), Ports, new Dictionary<string, Uri>(), version: 1);

        Assert.Equal("outbound|caller|backend", snapshot.ListenersByPort[Ports["outbound|caller|backend"]].Name);
    }

    [Fact]
    public void EveryChangeMakesANewerSnapshotAndLeavesTheOldOneAsItWas()
    {
        var state = new MeshState(MeshFixtures.CallerAndBackend());
        state.SetBoundPorts(Ports);
        var before = state.Snapshot;

        state.SetApplication("backend-v2", 0, new Uri("http://127.0.0.1:9002"));

        Assert.True(state.Snapshot.Version > before.Version);
        Assert.Empty(before.Upstreams["backend"]);
        Assert.Single(state.Snapshot.Upstreams["backend"]);
    }

    [Fact]
    public void ResponseFlagsAreWrittenAsEnvoyWritesThem()
    {
        Assert.Equal("-", ResponseFlags.None.ToEnvoyString());
        Assert.Equal("UH", ResponseFlags.NoHealthyUpstream.ToEnvoyString());
        Assert.Equal("UF,DC", (ResponseFlags.UpstreamConnectionFailure | ResponseFlags.DownstreamConnectionTermination).ToEnvoyString());
    }
}
