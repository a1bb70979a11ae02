using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Tests;

/// <summary>Small mesh configurations for tests.</summary>
internal static class MeshFixtures
{
    public static WorkloadConfig Workload(string name, string service, string version = "v1", int replicas = 1) => new(
        name,
        service,
        ImmutableDictionary<string, string>.Empty.Add("app", service).Add("version", version),
        name,
        replicas);

    /// <summary>Subsets <c>v1</c> and <c>v2</c> by the <c>version</c> label, each connection or call to the next endpoint in turn.</summary>
    public static readonly DestinationRule RoundRobinV1V2 = new()
    {
        TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = SimpleLoadBalancer.RoundRobin } },
        Subsets = [new Subset("v1", new Dictionary<string, string> { ["version"] = "v1" }), new Subset("v2", new Dictionary<string, string> { ["version"] = "v2" })],
    };

    /// <summary>The replicas serving <c>echo</c> in <see cref="CallerAndEcho"/>.</summary>
    public static readonly (string Workload, int Replica)[] EchoReplicas = [("echo-v1", 0), ("echo-v1", 1), ("echo-v2", 0)];

    /// <summary>
    /// <paramref name="caller"/> calls <c>echo</c> (<paramref name="echo"/>: its port, protocol and
    /// routes), served by <c>echo-v1</c> (two replicas) and <c>echo-v2</c>, with
    /// <see cref="RoundRobinV1V2"/> and mesh-wide <paramref name="mode"/>.
    /// </summary>
    public static MeshConfig CallerAndEcho(string caller, MeshServiceConfig echo, MutualTlsMode mode) => new()
    {
        Services = [new MeshServiceConfig(caller), echo with { DestinationRule = echo.DestinationRule ?? RoundRobinV1V2 }],
        Workloads = [Workload(caller, caller), Workload("echo-v1", "echo", "v1", replicas: 2), Workload("echo-v2", "echo", "v2")],
        Listeners = [ListenerConfig.Inbound(caller, 0), .. EchoReplicas.Select(r => ListenerConfig.Inbound(r.Workload, r.Replica)), ListenerConfig.Outbound(caller, "echo")],
        PeerAuthentications = mode == MutualTlsMode.Permissive ? [] : [new PeerAuthentication("default", mode)],
    };

    /// <summary>
    /// <c>caller</c> (one workload) calls <c>backend</c>, served by <c>backend-v1</c> (two
    /// replicas) and <c>backend-v2</c> (one).
    /// </summary>
    public static MeshConfig CallerAndBackend() => new()
    {
        Services = [new MeshServiceConfig("caller"), new MeshServiceConfig("backend")],
        Workloads = [Workload("caller", "caller"), Workload("backend-v1", "backend", "v1", replicas: 2), Workload("backend-v2", "backend", "v2")],
        Listeners =
        [
            ListenerConfig.Inbound("caller", 0),
            ListenerConfig.Inbound("backend-v1", 0),
            ListenerConfig.Inbound("backend-v1", 1),
            ListenerConfig.Inbound("backend-v2", 0),
            ListenerConfig.Outbound("caller", "backend"),
            ListenerConfig.ForService("backend"),
            ListenerConfig.Ingress("gateway", 0, "backend"),
        ],
    };
}
