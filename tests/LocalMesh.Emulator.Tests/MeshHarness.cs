using System.Collections.Immutable;
using LocalMesh.Emulator.Configuration;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// bookinfo's reviews in miniature on real sockets: <c>productpage</c> calls <c>reviews</c>,
/// served by <c>reviews-v1</c>, <c>reviews-v2</c> and <c>reviews-v3</c> (one application each),
/// with subsets v1–v3 and whatever routes the test gives.
/// </summary>
internal sealed class MeshHarness : IAsyncDisposable
{
    public static readonly string[] Versions = ["v1", "v2", "v3"];

    private MeshHarness(MeshServer server, Dictionary<string, TestBackend> backends)
    {
        Server = server;
        Backends = backends;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public MeshServer Server { get; }

    /// <summary>The application of each version, by version.</summary>
    public IReadOnlyDictionary<string, TestBackend> Backends { get; }

    public HttpClient Client { get; }

    /// <summary>productpage's outbound sidecar for reviews.</summary>
    public Uri Reviews => Server.Addresses["outbound|productpage|reviews"];

    public static readonly DestinationRule VersionSubsets = new()
    {
        Subsets = [.. Versions.Select(v => new Subset(v, new Dictionary<string, string> { ["version"] = v }))],
    };

    public static async Task<MeshHarness> StartAsync(
        IEnumerable<HttpRoute>? routes = null,
        DestinationRule? rule = null,
        Func<string, Func<HttpContext, Task>?>? behaviour = null,
        MeshServerOptions? options = null,
        MutualTlsMode mutualTls = MutualTlsMode.Permissive)
    {
        var config = new MeshConfig
        {
            Services =
            [
                new MeshServiceConfig("productpage"),
                new MeshServiceConfig("reviews") { Http = [.. routes ?? []], DestinationRule = rule ?? VersionSubsets },
            ],
            Workloads =
            [
                MeshFixtures.Workload("productpage", "productpage"),
                .. Versions.Select(v => MeshFixtures.Workload($"reviews-{v}", "reviews", v)),
            ],
            Listeners =
            [
                ListenerConfig.Inbound("productpage", 0),
                .. Versions.Select(v => ListenerConfig.Inbound($"reviews-{v}", 0)),
                ListenerConfig.Outbound("productpage", "reviews"),
            ],
            PeerAuthentications = mutualTls == MutualTlsMode.Permissive ? [] : [new PeerAuthentication("default", mutualTls)],
        };

        var server = await MeshServer.StartAsync(config, options);
        var backends = new Dictionary<string, TestBackend>();
        foreach (var version in Versions)
        {
            var backend = await TestBackend.StartAsync($"reviews-{version}", behaviour?.Invoke(version));
            backends[version] = backend;
            server.State.SetApplication($"reviews-{version}", 0, backend.Address);
        }

        return new MeshHarness(server, backends);
    }

    public static HttpRouteDestination To(string subset, int? weight = null) => new(new Destination("reviews", subset), weight);

    /// <summary>Every request any version received.</summary>
    public IEnumerable<ReceivedRequest> AllReceived => Backends.Values.SelectMany(backend => backend.Received);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        foreach (var backend in Backends.Values)
        {
            await backend.DisposeAsync();
        }
    }
}
