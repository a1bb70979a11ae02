using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.State;

/// <summary>
/// Holds the current <see cref="MeshSnapshot"/> and builds the next one when the control plane
/// reports a change. Readers take the reference once per request; writers are serialized.
/// </summary>
internal sealed class MeshState
{
    private readonly Lock _writeLock = new();
    private ImmutableDictionary<string, int> _boundPorts = ImmutableDictionary<string, int>.Empty;
    private ImmutableDictionary<string, Uri> _applications = ImmutableDictionary<string, Uri>.Empty;
    private MeshSnapshot _snapshot;

    /// <summary>Starts with <paramref name="config"/>, nothing bound and no endpoints ready.</summary>
    /// <exception cref="MeshConfigException">The configuration is invalid.</exception>
    public MeshState(MeshConfig config)
    {
        MeshConfigException.ThrowIfInvalid(config);
        _snapshot = MeshSnapshot.Build(config, _boundPorts, _applications, version: 1);
    }

    /// <summary>The current snapshot.</summary>
    public MeshSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Raised after a new snapshot is published.</summary>
    public event Action<MeshSnapshot>? Changed;

    /// <summary>Records the ports the listeners were bound to.</summary>
    public void SetBoundPorts(IReadOnlyDictionary<string, int> ports) =>
        Publish(() => _boundPorts = ports.ToImmutableDictionary());

    /// <summary>
    /// Records that replica <paramref name="replica"/> of <paramref name="workload"/> serves at
    /// <paramref name="application"/>, or, with <c>null</c>, that it is no longer ready.
    /// </summary>
    public void SetApplication(string workload, int replica, Uri? application)
    {
        var listener = ListenerConfig.Inbound(workload, replica).Name;
        Publish(() => _applications = application is null
            ? _applications.Remove(listener)
            : _applications.SetItem(listener, application));
    }

    /// <summary>Replaces the configuration (e.g. a policy changed at runtime); an invalid one is refused whole.</summary>
    /// <exception cref="MeshConfigException">The configuration is invalid; the current one stays.</exception>
    public void SetConfig(MeshConfig config)
    {
        MeshConfigException.ThrowIfInvalid(config);
        SetValidatedConfig(config);
    }

    /// <summary>Replaces the configuration with one the caller has validated (<see cref="MeshConfigValidator"/>) and found no error in.</summary>
    public void SetValidatedConfig(MeshConfig config) => Publish(() => { }, config);

    private void Publish(Action change, MeshConfig? config = null)
    {
        MeshSnapshot next;
        lock (_writeLock)
        {
            change();
            var current = _snapshot;
            next = MeshSnapshot.Build(config ?? current.Config, _boundPorts, _applications, current.Version + 1, current.Started);
            Volatile.Write(ref _snapshot, next);
        }

        Changed?.Invoke(next);
    }
}
