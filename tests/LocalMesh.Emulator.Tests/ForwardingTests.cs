using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LocalMesh.Emulator.Configuration;
using Microsoft.AspNetCore.Http;
using static LocalMesh.Emulator.Tests.MeshHarness;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// Bodies both ways through both sidecars (outbound, then inbound, then the application), in
/// plaintext and over mutual TLS: sized, chunked and larger than the retry buffer on the way in;
/// large, streamed and bodiless on the way out.
/// </summary>
public sealed class ForwardingTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    /// <summary>Answers with the SHA-256 of the request body, its length, and how it was framed when it reached the application.</summary>
    private static async Task Digest(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        context.Response.Headers["x-framing"] = context.Request.ContentLength is { } length ? $"length {length}" : "chunked";
        await context.Response.WriteAsync($"{body.Length} {Convert.ToHexString(SHA256.HashData(body.ToArray()))}");
    }

    [Theory]
    [InlineData(true, HttpStatusCode.OK)]
    [InlineData(false, HttpStatusCode.ServiceUnavailable)]
    public async Task AnApplicationServingOnlyHttpsGetsTlsFromItsInboundSidecarIfItsCertificateIsTrustedOrTheDevelopmentOne(bool development, HttpStatusCode expected)
    {
        using var certificate = LocalhostCertificate(development);
        await using var mesh = await StartAsync(mutualTls: MutualTlsMode.Strict);
        await using var https = await TestBackend.StartAsync("reviews-https", certificate: certificate);
        Assert.Equal(Uri.UriSchemeHttps, https.Address.Scheme);
        foreach (var version in Versions)
        {
            mesh.Server.State.SetApplication($"reviews-{version}", 0, https.Address);
        }

        using var response = await mesh.Client.GetAsync(mesh.Reviews).WaitAsync(Cap);

        Assert.Equal(expected, response.StatusCode);
        if (development)
        {
            Assert.Equal("reviews-https", await response.Content.ReadAsStringAsync());
            // The caller's identity still reaches the application: mutual TLS between the sidecars, TLS to the application.
            Assert.StartsWith("By=spiffe://cluster.local/ns/default/sa/reviews-", Assert.Single(https.Received).Headers["x-forwarded-client-cert"], StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(https.Received);
            Assert.Contains("TLS error", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    /// <summary>A self-signed certificate for localhost, trusted by nobody; with <paramref name="development"/>, marked as ASP.NET Core's development certificate is.</summary>
    private static X509Certificate2 LocalhostCertificate(bool development)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        if (development)
        {
            request.CertificateExtensions.Add(new X509Extension(new Oid("1.3.6.1.4.1.311.84.1.1"), [2], critical: false));
        }

        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    [Theory]
    [InlineData(MutualTlsMode.Disable, 10)]
    [InlineData(MutualTlsMode.Strict, 10)]
    [InlineData(MutualTlsMode.Disable, 200_000)]
    [InlineData(MutualTlsMode.Strict, 3_000_000)] // over the 1 MB retry buffer: streamed once
    public async Task ASizedRequestBodyArrivesWhole(MutualTlsMode mode, int length)
    {
        await using var mesh = await StartAsync(behaviour: _ => Digest, mutualTls: mode);
        var body = RandomNumberGenerator.GetBytes(length);

        using var response = await mesh.Client.PostAsync(mesh.Reviews, new ByteArrayContent(body)).WaitAsync(Cap);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{length} {Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
        Assert.Equal($"length {length}", response.Headers.GetValues("x-framing").Single());
    }

    [Fact]
    public async Task AChunkedRequestBodyIsBufferedAndSentWithItsLength()
    {
        await using var mesh = await StartAsync(behaviour: _ => Digest);
        var body = RandomNumberGenerator.GetBytes(50_000);
        using var content = new StreamContent(new MemoryStream(body));
        using var request = new HttpRequestMessage(HttpMethod.Post, mesh.Reviews) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await mesh.Client.SendAsync(request).WaitAsync(Cap);

        Assert.Equal($"50000 {Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
        // Buffered (so a retry can send it again), it goes on with a Content-Length.
        Assert.Equal("length 50000", response.Headers.GetValues("x-framing").Single());
    }

    [Theory]
    [InlineData(MutualTlsMode.Disable)]
    [InlineData(MutualTlsMode.Strict)]
    public async Task ALargeResponseArrivesWhole(MutualTlsMode mode)
    {
        var body = RandomNumberGenerator.GetBytes(2_000_000);
        await using var mesh = await StartAsync(behaviour: _ => context => context.Response.Body.WriteAsync(body).AsTask(), mutualTls: mode);

        var received = await mesh.Client.GetByteArrayAsync(mesh.Reviews).WaitAsync(Cap);

        Assert.Equal(SHA256.HashData(body), SHA256.HashData(received));
    }

    [Fact]
    public async Task AStreamedResponseReachesTheCallerAsItComes()
    {
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var mesh = await StartAsync(behaviour: _ => async context =>
        {
            await context.Response.WriteAsync("first;");
            await context.Response.Body.FlushAsync();
            // The rest is written only once the caller has read the first part through both sidecars.
            await firstRead.Task.WaitAsync(Cap);
            await context.Response.WriteAsync("second");
        });

        using var response = await mesh.Client.GetAsync(mesh.Reviews, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Cap);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        var first = await stream.ReadAsync(buffer).AsTask().WaitAsync(Cap);
        Assert.Equal("first;", System.Text.Encoding.ASCII.GetString(buffer, 0, first));
        firstRead.SetResult();

        using var rest = new StreamReader(stream);
        Assert.Equal("second", await rest.ReadToEndAsync().WaitAsync(Cap));
    }

    [Fact]
    public async Task AHeadResponseKeepsItsLengthAndHasNoBody()
    {
        await using var mesh = await StartAsync(behaviour: _ => context =>
        {
            context.Response.ContentLength = 1234;
            return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(new byte[1234]).AsTask();
        });

        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, mesh.Reviews);
            using var response = await mesh.Client.SendAsync(request).WaitAsync(Cap);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1234, response.Content.Headers.ContentLength);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }

        // The connections stayed usable: a GET after the HEADs gets its whole body.
        Assert.Equal(1234, (await mesh.Client.GetByteArrayAsync(mesh.Reviews).WaitAsync(Cap)).Length);
    }
}
