using System.Collections.Concurrent;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// Which workload's sidecar opened each loopback connection the mesh made, by its local port.
/// An inbound sidecar looks its peer up here: a port is held by one socket at a time, so no
/// caller can claim another's identity, and no header is trusted for it.
/// </summary>
internal sealed class PeerRegistry
{
    private readonly ConcurrentDictionary<int, string> _workloadsByPort = new();

    public void Register(int localPort, string workload) => _workloadsByPort[localPort] = workload;

    public void Unregister(int localPort) => _workloadsByPort.TryRemove(localPort, out _);

    public string? Find(int remotePort) => _workloadsByPort.GetValueOrDefault(remotePort);
}
