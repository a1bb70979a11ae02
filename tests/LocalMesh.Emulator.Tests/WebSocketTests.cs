using System.Net;
using System.Net.WebSockets;
using System.Text;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;
using static LocalMesh.Emulator.Tests.MeshHarness;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// A WebSocket through both sidecars: the HTTP/1.1 upgrade is routed, authorized and faulted like
/// any request, mutual TLS carries it between the sidecars, and then the connection lasts as long
/// as both ends keep it, its span covering all of it.
/// </summary>
public sealed class WebSocketTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    /// <summary>Echoes each text message back, prefixed with the replica's name, until the client closes.</summary>
    private static Func<HttpContext, Task> Echo(string version) => async context =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await context.Response.WriteAsync($"reviews-{version}");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            var message = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (message.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            await socket.SendAsync(Encoding.UTF8.GetBytes($"reviews-{version}: {Encoding.UTF8.GetString(buffer, 0, message.Count)}"), WebSocketMessageType.Text, true, CancellationToken.None);
        }
    };

    [Theory]
    [InlineData(MutualTlsMode.Strict)]
    [InlineData(MutualTlsMode.Disable)]
    public async Task MessagesFlowBothWaysThroughBothSidecarsAndTheSpanCoversTheConnection(MutualTlsMode mode)
    {
        using var spans = new SpanCollector();
        await using var mesh = await StartAsync([new HttpRoute { Route = [To("v2")] }], behaviour: Echo, mutualTls: mode);
        using var client = new ClientWebSocket();
        var requestId = Guid.NewGuid().ToString();
        client.Options.SetRequestHeader("x-request-id", requestId);

        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{mesh.Reviews.Port}/chat"), CancellationToken.None).WaitAsync(Cap);
        foreach (var text in new[] { "one", "two", "three" })
        {
            await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[256];
            var answer = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Cap);
            Assert.Equal($"reviews-v2: {text}", Encoding.UTF8.GetString(buffer, 0, answer.Count));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(Cap);

        // The upgrade reached the application with the caller's identity when the sidecars spoke mutual TLS.
        var upgrade = Assert.Single(mesh.Backends["v2"].Received);
        Assert.Equal("websocket", upgrade.Headers["upgrade"], ignoreCase: true);
        Assert.Equal(mode == MutualTlsMode.Strict, upgrade.Headers.ContainsKey("x-forwarded-client-cert"));
        // Both sidecars' spans end when the connection does, with the 101 it began with.
        var both = await spans.ForRequestAsync(requestId, 2);
        Assert.All(both, span => Assert.Equal(101, span.GetTagItem(MeshTelemetry.Attributes.ResponseCode)));
        Assert.All(both, span => Assert.True((long)span.GetTagItem("websocket.bytes_received")! > 0 && (long)span.GetTagItem("websocket.bytes_sent")! > 0));
    }

    [Fact]
    public async Task TheUpgradeRequestMeetsTheRoutesFault()
    {
        await using var mesh = await StartAsync(
            [new HttpRoute { Route = [To("v1")], Fault = new HttpFaultInjection { Abort = new FaultAbort(503, 100) } }],
            behaviour: Echo);
        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(new Uri($"ws://127.0.0.1:{mesh.Reviews.Port}/chat"), CancellationToken.None).WaitAsync(Cap));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, client.HttpStatusCode);
        Assert.Empty(mesh.AllReceived);
    }
}
