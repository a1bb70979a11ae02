using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using LocalMesh.Testing;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// Calls to hosts outside the mesh, as Istio's egress tasks make them: through the workload's
/// HTTP proxy (its egress listener), routed by ServiceEntry hosts with their VirtualService and
/// DestinationRule, passed through or refused by the outbound traffic policy. Loopback servers
/// stand in for the external hosts (STATIC endpoints), never the internet.
/// </summary>
public sealed class EgressTests
{
    private const string Caller = "productpage";

    private static ServiceEntry Entry(string host, int endpointPort, params ServiceEntryPort[] ports) => new($"{host}-entry")
    {
        Hosts = [host],
        Ports = [.. ports],
        Resolution = ServiceEntryResolution.Static,
        Endpoints = [new ServiceEntryEndpoint("127.0.0.1") { Ports = ports.ToDictionary(port => port.Name, _ => endpointPort) }],
    };

    private static async Task<(MeshServer Server, HttpClient Client)> StartAsync(
        ImmutableArray<ServiceEntry> entries, ImmutableArray<MeshServiceConfig> rules = default, OutboundTrafficPolicyMode mode = OutboundTrafficPolicyMode.AllowAny)
    {
        var server = await MeshServer.StartAsync(new MeshConfig
        {
            Services = [new MeshServiceConfig(Caller)],
            Workloads = [MeshFixtures.Workload(Caller, Caller)],
            Listeners = [ListenerConfig.Inbound(Caller, 0), ListenerConfig.Egress(Caller)],
            ServiceEntries = entries,
            ExternalServices = rules.IsDefault ? [] : rules,
            OutboundTrafficPolicy = mode,
        }, new MeshServerOptions { MetricsPort = 0 });
        // As the workload's HttpClient does with HTTP_PROXY and HTTPS_PROXY naming its egress listener.
        var client = new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy(server.Addresses[$"egress|{Caller}"]),
            UseProxy = true,
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.Subject == "CN=secure.example.com" },
        })
        { Timeout = TimeSpan.FromSeconds(30) };
        return (server, client);
    }

    /// <summary>A self-signed certificate for <paramref name="host"/>, and the file of PEM roots that trusts it.</summary>
    private static (X509Certificate2 Certificate, string RootsFile) Certificate(string host, DirectoryInfo folder)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var roots = Path.Combine(folder.FullName, $"{host}.pem");
        File.WriteAllText(roots, certificate.ExportCertificatePem());
        return (certificate, roots);
    }

    [Fact]
    public async Task AnHttpCallToAServiceEntryHostLeavesThroughTheProxyToItsEndpointWithItsVirtualServicesRules()
    {
        await using var api = await TestBackend.StartAsync("api");
        var (server, client) = await StartAsync(
            [Entry("api.example.com", api.Address.Port, new ServiceEntryPort(80, "http", "HTTP"))],
            [new MeshServiceConfig("api.example.com")
            {
                Http =
                [
                    new HttpRoute
                    {
                        Match = [new HttpMatchRequest { Uri = StringMatch.Prefix("/teapot") }],
                        Fault = new HttpFaultInjection { Abort = new FaultAbort(418, 100) },
                        Route = [new HttpRouteDestination(new Destination("api.example.com"))],
                    },
                    new HttpRoute
                    {
                        Headers = new Headers { Request = new HeaderOperations { Set = new Dictionary<string, string> { ["x-egress"] = "through the mesh" } } },
                        Route = [new HttpRouteDestination(new Destination("api.example.com"))],
                    },
                ],
            }]);
        await using var _ = server;
        using var __ = client;
        using var spans = new SpanCollector();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://api.example.com/books?id=7") { Headers = { { "x-request-id", requestId } } };

        using var response = await client.SendAsync(request);
        using var teapot = await client.GetAsync("http://api.example.com/teapot");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(api.Received);
        Assert.Equal(("/books?id=7", "api.example.com", "through the mesh"), (received.Path, received.Host, received.Headers["x-egress"]));
        Assert.Equal((HttpStatusCode)418, teapot.StatusCode);
        var span = Assert.Single(await spans.ForRequestAsync(requestId, 1));
        Assert.Equal(("api.example.com", "outbound|80||api.example.com"), (span.GetTagItem(MeshTelemetry.Attributes.DestinationService), span.GetTagItem(MeshTelemetry.Attributes.UpstreamCluster)));
        var metrics = await new HttpClient().GetStringAsync(server.MetricsAddress ?? throw new InvalidOperationException("no metrics address"));
        Assert.Matches(@"istio_requests_total\{[^}]*destination_service=""api\.example\.com""[^}]*response_code=""200""[^}]*source_workload=""productpage""", metrics);
    }

    [Fact]
    public async Task PlainHttpToPort80IsOriginatedAsTlsOnPort443AsBookinfosGoogleapisRulesSay()
    {
        var folder = Directory.CreateTempSubdirectory("localmesh-egress-");
        try
        {
            var (certificate, roots) = Certificate("www.googleapis.com", folder);
            await using var googleapis = await TestBackend.StartAsync("googleapis", certificate: certificate);
            var (server, client) = await StartAsync(
                [Entry("www.googleapis.com", googleapis.Address.Port, new ServiceEntryPort(80, "http", "HTTP"), new ServiceEntryPort(443, "https", "HTTPS")) with { Resolution = ServiceEntryResolution.Static }],
                [new MeshServiceConfig("www.googleapis.com")
                {
                    Http = [new HttpRoute { Match = [new HttpMatchRequest { Port = 80 }], Route = [new HttpRouteDestination(new Destination("www.googleapis.com", Port: 443))] }],
                    DestinationRule = new DestinationRule
                    {
                        TrafficPolicy = new TrafficPolicy { PortLevelSettings = [new PortTrafficPolicy(443) { Tls = new ClientTlsSettings(ClientTlsMode.Simple) { CaCertificates = roots } }] },
                    },
                }]);
            await using var _ = server;
            using var __ = client;

            using var response = await client.GetAsync("http://www.googleapis.com/books/v1/volumes?q=isbn:0486424618");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var received = Assert.Single(googleapis.Received);
            Assert.Equal(("/books/v1/volumes?q=isbn:0486424618", "www.googleapis.com"), (received.Path, received.Host));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task HttpsThroughTheProxyIsATunnelToTheServiceEntryHostWithTheCallersOwnTls()
    {
        var folder = Directory.CreateTempSubdirectory("localmesh-egress-");
        try
        {
            var (certificate, _) = Certificate("secure.example.com", folder);
            await using var secure = await TestBackend.StartAsync("secure", certificate: certificate);
            var (server, client) = await StartAsync([Entry("secure.example.com", secure.Address.Port, new ServiceEntryPort(443, "https", "HTTPS"))], mode: OutboundTrafficPolicyMode.RegistryOnly);
            await using var _ = server;
            using var __ = client;
            using var spans = new SpanCollector();

            using var response = await client.GetAsync("https://secure.example.com/orders");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("/orders", Assert.Single(secure.Received).Path);
            client.Dispose(); // the tunnel's span ends with the tunnel
            var tunnel = Assert.Single(await spans.WaitForAsync(span => span.DisplayName == "productpage → secure.example.com (tcp)", 1, "the tunnel's span"));
            Assert.Equal("secure.example.com", tunnel.GetTagItem(MeshTelemetry.Attributes.DestinationService));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task UnderRegistryOnlyAHostNoServiceEntryHasIsAnswered502AndItsTunnelRefused()
    {
        await using var elsewhere = await TestBackend.StartAsync("elsewhere");
        var (server, client) = await StartAsync([], mode: OutboundTrafficPolicyMode.RegistryOnly);
        await using var _ = server;
        using var __ = client;
        using var spans = new SpanCollector();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://unknown.example.org/") { Headers = { { "x-request-id", requestId } } };

        using var response = await client.SendAsync(request);
        var tunnel = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("https://unknown.example.org/"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("BlackHoleCluster", Assert.Single(await spans.ForRequestAsync(requestId, 1)).GetTagItem(MeshTelemetry.Attributes.DestinationService));
        Assert.Contains("502", tunnel.Message, StringComparison.Ordinal);
        Assert.Empty(elsewhere.Received);
    }

    [Fact]
    public async Task UnderAllowAnyAHostNoServiceEntryHasIsCalledAsItWasNamed()
    {
        // The proxy itself resolves the name: localhost is the one name this machine resolves without a network.
        await using var elsewhere = await TestBackend.StartAsync("elsewhere");
        var (server, client) = await StartAsync([]);
        await using var _ = server;
        using var __ = client;
        using var spans = new SpanCollector();
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://localhost:{elsewhere.Address.Port}/anything") { Headers = { { "x-request-id", requestId } } };

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/anything", Assert.Single(elsewhere.Received).Path);
        Assert.Equal("PassthroughCluster", Assert.Single(await spans.ForRequestAsync(requestId, 1)).GetTagItem(MeshTelemetry.Attributes.DestinationService));
    }
}
