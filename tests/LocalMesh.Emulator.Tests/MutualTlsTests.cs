using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace LocalMesh.Emulator.Tests;

/// <summary>PeerAuthentication and auto mTLS with real TLS handshakes between sidecars.</summary>
public sealed class MutualTlsTests : IAsyncLifetime
{
    private const string CallerId = "spiffe://cluster.local/ns/default/sa/caller";
    private const string BackendV2Id = "spiffe://cluster.local/ns/default/sa/backend-v2";

    private readonly List<TestBackend> _backends = [];
    private readonly SpanCollector _spans = new();
    private readonly FakeTimeProvider _time = new();
    private MeshServer _server = null!;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(10) };

    private Uri Outbound => _server.Addresses["outbound|caller|backend"];

    private Uri InboundV2 => _server.Addresses["inbound|backend-v2|0"];

    public async Task InitializeAsync() => await StartAsync([]);

    private async Task StartAsync(ImmutableArray<PeerAuthentication> policies)
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _server = await MeshServer.StartAsync(
            MeshFixtures.CallerAndBackend() with { PeerAuthentications = policies },
            new MeshServerOptions { TimeProvider = _time, CertificateLifetime = TimeSpan.FromHours(1) });
        foreach (var (workload, replica) in new[] { ("backend-v1", 0), ("backend-v1", 1), ("backend-v2", 0) })
        {
            var backend = _backends.FirstOrDefault(b => b.Name == $"{workload}/{replica}") ?? await TestBackend.StartAsync($"{workload}/{replica}");
            if (!_backends.Contains(backend))
            {
                _backends.Add(backend);
            }

            _server.State.SetApplication(workload, replica, backend.Address);
        }
    }

    [Fact]
    public async Task SidecarsUseMutualTlsWheneverTheDestinationAcceptsItAndTheApplicationLearnsTheCaller()
    {
        var requestId = await CallAsync(Outbound);

        var inbound = Assert.Single(await _spans.ForRequestAsync(requestId, 2), span => span.Kind == ActivityKind.Server);
        Assert.Equal("cluster.local/ns/default/sa/caller", inbound.GetTagItem(MeshTelemetry.Attributes.SourcePrincipal));
        Assert.Equal("mutual_tls", inbound.GetTagItem(MeshTelemetry.Attributes.ConnectionSecurityPolicy));
        var received = Received(requestId);
        Assert.Matches("^By=spiffe://cluster.local/ns/default/sa/backend-v[12];URI=" + CallerId + "$", received.Headers["x-forwarded-client-cert"]);
    }

    [Fact]
    public async Task PermissiveAlsoTakesPlaintextWhichCarriesNoIdentity()
    {
        var requestId = await CallAsync(InboundV2);

        Assert.False(Received(requestId).Headers.ContainsKey("x-forwarded-client-cert"));
        var inbound = Assert.Single(await _spans.ForRequestAsync(requestId, 1));
        Assert.Equal("none", inbound.GetTagItem(MeshTelemetry.Attributes.ConnectionSecurityPolicy));
    }

    [Fact]
    public async Task AForgedClientCertificateHeaderIsReplacedByTheVerifiedOne()
    {
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, Outbound);
        request.Headers.Add("x-request-id", requestId);
        request.Headers.Add("x-forwarded-client-cert", "By=spiffe://evil;URI=spiffe://cluster.local/ns/default/sa/admin");
        await _client.SendAsync(request);

        Assert.EndsWith(";URI=" + CallerId, Received(requestId).Headers["x-forwarded-client-cert"]);
        // Plaintext straight to an inbound sidecar: the forged header is dropped, none is set.
        var direct = Guid.NewGuid().ToString();
        using var plaintext = new HttpRequestMessage(HttpMethod.Get, InboundV2);
        plaintext.Headers.Add("x-request-id", direct);
        plaintext.Headers.Add("x-forwarded-client-cert", "URI=spiffe://cluster.local/ns/default/sa/admin");
        await _client.SendAsync(plaintext);
        Assert.False(Received(direct).Headers.ContainsKey("x-forwarded-client-cert"));
    }

    [Fact]
    public async Task StrictRefusesPlaintextAtTheConnectionButServesTheMesh()
    {
        await StartAsync([new PeerAuthentication("default", MutualTlsMode.Strict)]);

        await Assert.ThrowsAsync<HttpRequestException>(() => _client.GetAsync(InboundV2));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(Outbound)).StatusCode);
    }

    [Fact]
    public async Task StrictRefusesAClientCertificateFromAnotherAuthority()
    {
        await StartAsync([new PeerAuthentication("default", MutualTlsMode.Strict)]);
        using var stranger = MeshCertificateAuthority.Create("cluster.local", _time);
        using var forged = stranger.Issue(CallerId, TimeSpan.FromHours(1));

        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(InboundV2, forged));
    }

    [Fact]
    public async Task AnExpiredClientCertificateIsRefused()
    {
        using var expired = _server.Identities.Authority.Issue(CallerId, TimeSpan.FromMinutes(10));
        _time.Advance(TimeSpan.FromMinutes(11));

        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(InboundV2, expired));
    }

    [Fact]
    public async Task TheInboundSidecarProvesTheWorkloadsIdentity()
    {
        var presented = await HandshakeAsync(InboundV2, _server.Identities.Current(CallerId));

        Assert.Equal(BackendV2Id, presented);
    }

    [Fact]
    public async Task DisableMeansPlaintextFromCallersToo()
    {
        await StartAsync([new PeerAuthentication("default", MutualTlsMode.Disable)]);

        var requestId = await CallAsync(Outbound);

        Assert.False(Received(requestId).Headers.ContainsKey("x-forwarded-client-cert"));
        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(InboundV2, _server.Identities.Current(CallerId)));
    }

    [Fact]
    public async Task CertificatesRotateUnderLoadWithoutLosingARequest()
    {
        // Real time with two-second certificates: each is renewed after one second, many times during the load.
        await using var server = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend(), new MeshServerOptions { CertificateLifetime = TimeSpan.FromSeconds(2) });
        foreach (var (workload, replica) in new[] { ("backend-v1", 0), ("backend-v1", 1), ("backend-v2", 0) })
        {
            server.State.SetApplication(workload, replica, _backends.Single(b => b.Name == $"{workload}/{replica}").Address);
        }

        var outbound = server.Addresses["outbound|caller|backend"];
        var first = server.Identities.Current(CallerId).Thumbprint;
        var deadline = DateTime.UtcNow.AddSeconds(3);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var (sent, failed) = (0, 0);
            while (DateTime.UtcNow < deadline)
            {
                // A fresh client each time makes new connections, so handshakes meet renewed certificates.
                using var client = new HttpClient();
                sent++;
                failed += (await client.GetAsync(outbound)).StatusCode == HttpStatusCode.OK ? 0 : 1;
            }

            return (sent, failed);
        }));

        Assert.Equal(0, results.Sum(r => r.failed));
        Assert.True(results.Sum(r => r.sent) > 20, $"Only {results.Sum(r => r.sent)} requests were sent.");
        Assert.NotEqual(first, server.Identities.Current(CallerId).Thumbprint);
    }

    /// <summary>A raw TLS 1.3 handshake with <paramref name="clientCertificate"/>; returns the SPIFFE ID the server presented.</summary>
    private async Task<string?> HandshakeAsync(Uri inbound, X509Certificate2 clientCertificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, inbound.Port);
        await using var tls = new SslStream(tcp.GetStream());
        X509Certificate2? server = null;
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "inbound",
            ClientCertificates = [clientCertificate],
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => (server = new X509Certificate2(certificate!)) is not null,
        });
        // TLS 1.3 reports a refused client certificate only when data flows.
        await tls.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var buffer = new byte[64];
        var read = await tls.ReadAsync(buffer);
        if (read == 0)
        {
            throw new IOException("The server closed the connection.");
        }

        return MeshCertificateAuthority.UriSan(server!);
    }

    private async Task<string> CallAsync(Uri target)
    {
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.Add("x-request-id", requestId);
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return requestId;
    }

    private ReceivedRequest Received(string requestId) =>
        _backends.SelectMany(b => b.Received).Single(r => r.Headers.GetValueOrDefault("x-request-id") == requestId);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _spans.Dispose();
        await _server.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }
}

/// <summary>Which PeerAuthentication applies to a workload (Istio's scoping).</summary>
public sealed class PeerAuthenticationScopeTests
{
    private static readonly WorkloadConfig ReviewsV2 = MeshFixtures.Workload("reviews-v2", "reviews", "v2");

    private static MutualTlsMode ModeOf(int port = 9080, params PeerAuthentication[] policies) =>
        new MeshConfig { PeerAuthentications = [.. policies] }.MutualTlsModeOf(ReviewsV2, port);

    [Fact]
    public void NothingSetIsPermissive() => Assert.Equal(MutualTlsMode.Permissive, ModeOf());

    [Fact]
    public void TheWorkloadsPolicyBeatsTheNamespacesWhichBeatsTheMeshs()
    {
        var mesh = new PeerAuthentication("mesh", MutualTlsMode.Strict);
        var ns = new PeerAuthentication("ns", MutualTlsMode.Disable) { Namespace = "default" };
        var workload = new PeerAuthentication("reviews", MutualTlsMode.Permissive) { Selector = new Dictionary<string, string> { ["app"] = "reviews" } };

        Assert.Equal(MutualTlsMode.Strict, ModeOf(9080, mesh));
        Assert.Equal(MutualTlsMode.Disable, ModeOf(9080, mesh, ns));
        Assert.Equal(MutualTlsMode.Permissive, ModeOf(9080, mesh, ns, workload));
    }

    [Fact]
    public void UnsetInherits() =>
        Assert.Equal(MutualTlsMode.Strict, ModeOf(9080,
            new PeerAuthentication("mesh", MutualTlsMode.Strict),
            new PeerAuthentication("reviews", MutualTlsMode.Unset) { Selector = new Dictionary<string, string> { ["app"] = "reviews" } }));

    [Fact]
    public void ASelectorThatDoesNotMatchDoesNotApply() =>
        Assert.Equal(MutualTlsMode.Permissive, ModeOf(9080,
            new PeerAuthentication("v1", MutualTlsMode.Strict) { Selector = new Dictionary<string, string> { ["version"] = "v1" } }));

    [Fact]
    public void PortLevelMtlsAppliesToItsPortOnly()
    {
        var policy = new PeerAuthentication("reviews", MutualTlsMode.Strict)
        {
            Selector = new Dictionary<string, string> { ["app"] = "reviews" },
            PortLevelMtls = new Dictionary<int, MutualTlsMode> { [9080] = MutualTlsMode.Disable },
        };

        Assert.Equal(MutualTlsMode.Disable, ModeOf(9080, policy));
        Assert.Equal(MutualTlsMode.Strict, ModeOf(8080, policy));
    }

    [Fact]
    public void TheIdentityIsTheServiceAccountsSpiffeId() =>
        Assert.Equal("spiffe://cluster.local/ns/default/sa/reviews-v2", new MeshConfig().SpiffeIdOf(ReviewsV2));
}
