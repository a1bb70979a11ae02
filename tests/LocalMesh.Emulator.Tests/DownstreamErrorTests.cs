using System.Net;
using System.Net.Sockets;
using System.Text;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;
using static LocalMesh.Emulator.Tests.MeshHarness;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// A caller that breaks its own request is answered as Envoy answers it (400 with DPE, 413, 0 with
/// DC), and nothing of it is held against the upstream: with outlier detection set to eject after
/// one 5xx, every endpoint stays in.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class DownstreamErrorTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    /// <summary>Ejects an endpoint at its first 5xx, so one wrongly blamed request shows.</summary>
    private static readonly DestinationRule Touchy = VersionSubsets with
    {
        TrafficPolicy = new TrafficPolicy { OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 1, MaxEjectionPercent = 100 } },
    };

    /// <summary>Reads the whole request body, as an application taking a POST does.</summary>
    private static async Task ReadAll(HttpContext context)
    {
        await context.Request.Body.CopyToAsync(Stream.Null);
        await context.Response.WriteAsync("read");
    }

    [Theory]
    [InlineData("invalid chunk size", "Transfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n")]
    [InlineData("chunk size overflow", "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n")]
    public async Task AMalformedBodyIsA400WithDpeAndNoEjection(string _, string framingAndBody)
    {
        using var spans = new SpanCollector();
        await using var mesh = await StartAsync(rule: Touchy, behaviour: _ => ReadAll);
        var requestId = Guid.NewGuid().ToString();

        var answer = await RawAsync(mesh.Reviews, $"POST / HTTP/1.1\r\nHost: reviews\r\nx-request-id: {requestId}\r\n{framingAndBody}", halfClose: false);

        Assert.True(answer.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), answer);
        var span = Assert.Single(await spans.ForRequestAsync(requestId, 1, IsOutbound), IsOutbound);
        Assert.Equal("DPE", span.GetTagItem(MeshTelemetry.Attributes.ResponseFlags));
        await AssertUpstreamUntouchedAsync(mesh);
    }

    [Fact]
    public async Task ATruncatedBodyIsTheCallersFaultNotTheUpstreams()
    {
        await using var mesh = await StartAsync(rule: Touchy, behaviour: _ => ReadAll);

        // Ten of a hundred declared bytes, then the caller stops sending.
        var answer = await RawAsync(mesh.Reviews, "POST / HTTP/1.1\r\nHost: reviews\r\nContent-Length: 100\r\n\r\n0123456789", halfClose: true);

        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), $"Answered: {answer}");
        await AssertUpstreamUntouchedAsync(mesh);
    }

    [Fact]
    public async Task ACallerThatGoesAwayIsADcWithCode0AndNoEjection()
    {
        using var spans = new SpanCollector();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var mesh = await StartAsync(rule: Touchy, behaviour: _ => async context =>
        {
            if (context.Request.Method == "POST")
            {
                // Holds the caller's request until the mesh gives up on it.
                arrived.TrySetResult();
                await Task.Delay(Cap, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            await context.Response.WriteAsync("ok");
        });
        var requestId = Guid.NewGuid().ToString();

        // The whole request, then, while the application works on it, a reset: the caller is gone.
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(IPAddress.Loopback, mesh.Reviews.Port);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"POST / HTTP/1.1\r\nHost: reviews\r\nx-request-id: {requestId}\r\nContent-Length: 2\r\n\r\nhi"));
            await arrived.Task.WaitAsync(Cap);
            socket.LingerState = new LingerOption(true, 0);
        }

        var span = Assert.Single(await spans.ForRequestAsync(requestId, 1, IsOutbound), IsOutbound);
        Assert.Contains("DC", (string)span.GetTagItem(MeshTelemetry.Attributes.ResponseFlags)!, StringComparison.Ordinal);
        Assert.Equal(0, span.GetTagItem(MeshTelemetry.Attributes.ResponseCode));
        await AssertUpstreamUntouchedAsync(mesh);
    }

    [Fact]
    public async Task ABodyOverTheListenersLimitIsA413AndNoEjection()
    {
        await using var mesh = await StartAsync(rule: Touchy, behaviour: _ => ReadAll);

        // A declared length over Kestrel's 30,000,000 bytes is refused before any of the body is read.
        var answer = await RawAsync(mesh.Reviews, "POST / HTTP/1.1\r\nHost: reviews\r\nContent-Length: 31000000\r\n\r\n", halfClose: false);

        Assert.True(answer.StartsWith("HTTP/1.1 413 ", StringComparison.Ordinal), answer);
        await AssertUpstreamUntouchedAsync(mesh);
    }

    /// <summary>The same mistakes at each kind of listener a caller reaches: the gateway, an outbound sidecar, an inbound one.</summary>
    [Theory]
    [InlineData("ingress|gateway", "Transfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("ingress|gateway", "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("ingress|gateway", "Content-Length: 31000000\r\n\r\n", 413)]
    [InlineData("outbound|caller|backend", "Transfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("outbound|caller|backend", "Content-Length: 31000000\r\n\r\n", 413)]
    [InlineData("inbound|backend-v2|0", "Transfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("inbound|backend-v2|0", "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("inbound|backend-v2|0", "Content-Length: 31000000\r\n\r\n", 413)]
    public async Task EachListenerAnswersABrokenRequestItselfAndTheApplicationNeverSeesIt(string listener, string framingAndBody, int status)
    {
        var config = MeshFixtures.CallerAndBackend();
        config = config with
        {
            Services = [.. config.Services.Select(service => service.Name == "backend"
                ? service with { DestinationRule = new DestinationRule { TrafficPolicy = Touchy.TrafficPolicy } }
                : service)],
        };
        await using var server = await MeshServer.StartAsync(config);
        await using var backend = await TestBackend.StartAsync("backend", ReadAll);
        foreach (var (workload, replica) in new[] { ("caller", 0), ("backend-v1", 0), ("backend-v1", 1), ("backend-v2", 0) })
        {
            server.State.SetApplication(workload, replica, backend.Address);
        }

        var answer = await RawAsync(server.Addresses[listener], $"POST / HTTP/1.1\r\nHost: backend\r\n{framingAndBody}", halfClose: false);

        Assert.True(answer.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), answer);
        Assert.Empty(backend.Received);
        Assert.Empty(server.Ejections);
    }

    private static bool IsOutbound(System.Diagnostics.Activity span) => span.GetTagItem(MeshTelemetry.Attributes.Reporter) as string == "source";

    /// <summary>No endpoint was ejected, and every version still answers.</summary>
    private static async Task AssertUpstreamUntouchedAsync(MeshHarness mesh)
    {
        Assert.Empty(mesh.Server.Ejections);
        for (var i = 0; i < Versions.Length * 2; i++)
        {
            using var response = await mesh.Client.GetAsync(mesh.Reviews).WaitAsync(Cap);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Empty(mesh.Server.Ejections);
    }

    /// <summary>Writes <paramref name="request"/> as bytes and reads what comes back until the connection closes (or 10 s pass).</summary>
    private static async Task<string> RawAsync(Uri listener, string request, bool halfClose)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, listener.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        if (halfClose)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        using var timeout = new CancellationTokenSource(Cap);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // Reset after the answer.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
