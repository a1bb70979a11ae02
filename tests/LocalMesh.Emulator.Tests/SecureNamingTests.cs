using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Security;

namespace LocalMesh.Emulator.Tests;

/// <summary>An outbound sidecar talks only to the workload it meant to reach, even when the impostor holds a mesh certificate.</summary>
public sealed class SecureNamingTests
{
    private const string Expected = "spiffe://cluster.local/ns/default/sa/reviews-v2";

    [Theory]
    [InlineData(Expected, true)]
    [InlineData("spiffe://cluster.local/ns/default/sa/impostor", false)]
    public async Task TheServerMustPresentTheExpectedIdentity(string presented, bool accepted)
    {
        using var authority = MeshCertificateAuthority.Create("cluster.local");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = ServeOnceAsync(listener, authority, presented);
        using var clients = new Http1ConnectionPools(new UpstreamConnector(new PeerRegistry(), TimeProvider.System), TimeProvider.System);
        var target = new UpstreamTarget("productpage-v1", new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/"),
            new MutualTlsSettings(authority, authority.Issue("spiffe://cluster.local/ns/default/sa/productpage-v1", TimeSpan.FromHours(1)), Expected));
        using var request = UpstreamClientsTests.Get("/");

        if (accepted)
        {
            using var response = await clients.SendAsync(target, request, CancellationToken.None);
            Assert.Equal(200, response.StatusCode);
        }
        else
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(async () => await clients.SendAsync(target, request, CancellationToken.None));
            Assert.Equal(HttpRequestError.SecureConnectionError, error.HttpRequestError);
            Assert.Contains("TLS error", error.Message);
        }

        listener.Stop();
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task ServeOnceAsync(TcpListener listener, MeshCertificateAuthority authority, string identity)
    {
        using var connection = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(connection.GetStream());
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = authority.Issue(identity, TimeSpan.FromHours(1)),
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => authority.TryValidate(certificate, out _),
            });
            var buffer = new byte[4096];
            _ = await tls.ReadAsync(buffer); // the request line and headers: one read is enough for this reply
            await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            // The client refused us: that is the point.
        }
    }
}
