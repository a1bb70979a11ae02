using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Tests;

/// <summary>What of a configuration is rules (swapped while the app runs) and what is topology (fixed for a run).</summary>
public sealed class MeshConfigTests
{
    [Fact]
    public void TheRulesOfAnotherCompileReplaceTheseAndTheTopologyStays()
    {
        var running = MeshFixtures.CallerAndBackend();
        var tcp = new TcpRoute { Route = [new RouteDestination(new Destination("backend", "v2"))] };
        var saved = running with
        {
            Services = [.. running.Services.Select(service => service.Name == "backend"
                ? service with { Http = [new HttpRoute { Route = [new HttpRouteDestination(new Destination("backend", "v1"))] }], Tcp = [tcp], DestinationRule = MeshFixtures.RoundRobinV1V2 }
                : service)],
            Listeners = [],
            Workloads = [],
            PeerAuthentications = [new PeerAuthentication("default", MutualTlsMode.Strict)],
            ServiceEntries = [new ServiceEntry("api") { Hosts = ["api.example.com"] }],
            OutboundTrafficPolicy = OutboundTrafficPolicyMode.RegistryOnly,
        };

        var swapped = running.WithRulesOf(saved);

        Assert.Equal(running.Listeners, swapped.Listeners);
        Assert.Equal(running.Workloads, swapped.Workloads);
        var backend = swapped.Services.Single(service => service.Name == "backend");
        Assert.Equal(new Destination("backend", "v1"), backend.Http.Single().Route!.Single().Destination);
        Assert.Same(tcp, backend.Tcp.Single());
        Assert.Same(MeshFixtures.RoundRobinV1V2, backend.DestinationRule);
        Assert.Equal((MutualTlsMode.Strict, "api", OutboundTrafficPolicyMode.RegistryOnly), (swapped.PeerAuthentications.Single().Mode, swapped.ServiceEntries.Single().Name, swapped.OutboundTrafficPolicy));
    }
}
