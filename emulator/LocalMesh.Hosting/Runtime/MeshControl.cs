using System.Collections.Immutable;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;

namespace Aspire.Hosting;

/// <summary>
/// The running mesh, to look at and to change without a restart: switch faults on and off,
/// change routes, read the current snapshot. The dashboard's mesh commands use it; so can tests
/// with Aspire.Hosting.Testing (<c>app.GetMesh()</c>). Every change is validated whole and takes
/// effect on the next request.
/// </summary>
public sealed class MeshControl
{
    private readonly Lock _lock = new();
    private MeshConfig _baseConfig;
    private ImmutableDictionary<string, RuntimeFault> _faults = ImmutableDictionary<string, RuntimeFault>.Empty;

    internal MeshControl(MeshServer server)
    {
        Server = server;
        _baseConfig = server.State.Snapshot.Config;
    }

    /// <summary>The data plane: its listeners and current snapshot.</summary>
    internal MeshServer Server { get; }

    /// <summary>The configuration the data plane serves from now, faults included.</summary>
    public MeshConfig Config => Server.State.Snapshot.Config;

    /// <summary>Where a rule in force was read (a service or <c>virtualservice/&lt;name&gt;</c>, a field such as <c>http[0]</c>); null for C#.</summary>
    internal Func<string, string, string?> SourceOf { get; set; } = (_, _) => null;

    /// <summary>The faults switched on at runtime, by service.</summary>
    public IReadOnlyDictionary<string, RuntimeFault> Faults => _faults;

    /// <summary>Raised after any change made through this object.</summary>
    public event Action? Changed;

    /// <summary>
    /// Injects <paramref name="fault"/> into calls to <paramref name="service"/>, replacing any
    /// fault set on it before; with <paramref name="headers"/>, only into requests that carry them.
    /// </summary>
    /// <param name="service">A mesh service.</param>
    /// <param name="fault">The delay and/or abort, with their percentages.</param>
    /// <param name="headers">Exact header matches, e.g. <c>end-user=jason</c>.</param>
    /// <exception cref="MeshConfigException">The fault is invalid (nothing changes).</exception>
    /// <example>
    /// <code>
    /// app.GetMesh().SetFault("ratings",
    ///     new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromSeconds(7), Percentage: 100) },
    ///     new Dictionary&lt;string, string&gt; { ["end-user"] = "jason" });
    /// </code>
    /// </example>
    public void SetFault(string service, HttpFaultInjection fault, IReadOnlyDictionary<string, string>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_lock)
        {
            RequireService(service);
            Publish(_baseConfig, _faults.SetItem(service, new RuntimeFault(fault, headers)));
        }
    }

    /// <summary>Switches off the runtime faults of <paramref name="service"/>, or of every service.</summary>
    public void ClearFaults(string? service = null)
    {
        lock (_lock)
        {
            Publish(_baseConfig, service is null ? _faults.Clear() : _faults.Remove(service));
        }
    }

    /// <summary>
    /// Changes the mesh's rules (routes, subsets, policies) while it runs; runtime faults stay on
    /// top of the new rules. The listeners and workloads are fixed for a run.
    /// </summary>
    /// <param name="change">From the current configuration without runtime faults to the new one.</param>
    /// <exception cref="MeshConfigException">The new configuration is invalid (nothing changes).</exception>
    /// <exception cref="ArgumentException">The change adds, removes or changes listeners or workloads, which only a restart of the app can (nothing changes).</exception>
    public void Update(Func<MeshConfig, MeshConfig> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            var changed = change(_baseConfig);
            if (!changed.Listeners.SequenceEqual(_baseConfig.Listeners) || !changed.Workloads.SequenceEqual(_baseConfig.Workloads))
            {
                throw new ArgumentException(
                    "The change adds, removes or changes listeners or workloads, which are fixed while the app runs; change them in the app model and start the app again.", nameof(change));
            }

            Publish(changed, _faults, validated: false);
        }
    }

    /// <summary>
    /// Swaps in the rules of <paramref name="rules"/> (compiled again against the run's topology and
    /// validated, e.g. after a file was saved), runtime faults on top.
    /// </summary>
    /// <returns>What the rules change that applies only at the next start (a function's scaling, a broker's triggers).</returns>
    internal IReadOnlyList<string> ApplyRules(CompiledMesh rules)
    {
        lock (_lock)
        {
            // Where the rules come from is told first, so whoever reacts to the change reads it with them.
            SourceOf = rules.SourceOf;
            Publish(_baseConfig.WithRulesOf(rules.Config), _faults, validated: true);
            return [.. _baseConfig.ChangesForTheNextStart(rules.Config)];
        }
    }

    private void Publish(MeshConfig baseConfig, ImmutableDictionary<string, RuntimeFault> faults, bool validated = false)
    {
        var config = baseConfig with
        {
            Services = [.. baseConfig.Services.Select(service => faults.TryGetValue(service.Name, out var fault) ? fault.ApplyTo(service) : service)],
        };
        // Recorded before the data plane takes the new snapshot, so whoever reacts to the change sees it.
        var (previousConfig, previousFaults) = (_baseConfig, _faults);
        (_baseConfig, _faults) = (baseConfig, faults);
        try
        {
            if (validated)
            {
                Server.State.SetValidatedConfig(config);
            }
            else
            {
                Server.State.SetConfig(config);
            }
        }
        catch (MeshConfigException)
        {
            (_baseConfig, _faults) = (previousConfig, previousFaults);
            throw;
        }

        Changed?.Invoke();
    }

    private void RequireService(string service)
    {
        if (!_baseConfig.Services.Any(s => s.Name == service))
        {
            throw new ArgumentException($"'{service}' is not a mesh service; use one of: {string.Join(", ", _baseConfig.Services.Select(s => s.Name))}.", nameof(service));
        }
    }
}
