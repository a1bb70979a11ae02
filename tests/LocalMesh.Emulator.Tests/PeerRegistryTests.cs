using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Security;

namespace LocalMesh.Emulator.Tests;

/// <summary>How an inbound sidecar knows which sidecar called: by the port the caller's connection holds.</summary>
public sealed class PeerRegistryTests
{
    [Fact]
    public void AClosedConnectionsRemovalDoesNotForgetTheNewConnectionThatTookItsPort()
    {
        var peers = new PeerRegistry();
        var closeFirst = peers.Register(40000, "ingress");
        // The system gives the port to the next connection before the first one's removal runs.
        var closeSecond = peers.Register(40000, "productpage-v1");

        closeFirst();

        Assert.Equal("productpage-v1", peers.Find(40000));
        closeSecond();
        Assert.Null(peers.Find(40000));
    }
}
