using System.Collections.Concurrent;

namespace LocalMesh.Emulator.Security;

/// <summary>
/// Which workload's sidecar opened each loopback connection the mesh made, by its local port.
/// An inbound sidecar looks its peer up here: a port is held by one socket at a time, so no
/// caller can claim another's identity, and no header is trusted for it.
/// </summary>
internal sealed class PeerRegistry
{
    private readonly ConcurrentDictionary<int, Registration> _byPort = new();

    /// <summary>Records that <paramref name="workload"/>'s sidecar holds <paramref name="localPort"/>; the action removes this record, and no later one.</summary>
    public Action Register(int localPort, string workload)
    {
        var registration = new Registration(workload);
        _byPort[localPort] = registration;
        // A closed connection's port can be taken by a new one before the old one's removal runs:
        // only this registration is removed, never the new connection's.
        return () => _byPort.TryRemove(new KeyValuePair<int, Registration>(localPort, registration));
    }

    public string? Find(int remotePort) => _byPort.GetValueOrDefault(remotePort)?.Workload;

    /// <summary>One connection's record (a class: removal compares the instance, not the workload).</summary>
    private sealed class Registration(string workload)
    {
        public string Workload { get; } = workload;
    }
}
