using System.Net;
using System.Net.Sockets;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Listeners;
using LocalMesh.Emulator.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// Every listener has Envoy's shape of limits: a new inbound connection gets its first byte and
/// its TLS handshake done in time or is closed; a listener holds a bounded number of connections,
/// closes more at once, says so, and serves again once the pressure goes; a caller that hangs up
/// early is not an error.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class ListenerLimitsTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(new byte[0])]
    // The first bytes of a TLS ClientHello, then nothing.
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc })]
    public async Task AnInboundConnectionWithoutItsFirstByteOrHandshakeInTimeIsClosed(byte[] sent)
    {
        var time = new FakeTimeProvider();
        await using var server = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend(), new MeshServerOptions { TimeProvider = time });
        using var socket = await ConnectAsync(server.Addresses["inbound|backend-v2|0"]);
        await socket.SendAsync(sent);

        time.Advance(MutualTlsConnectionMiddleware.HandshakeTimeout - TimeSpan.FromSeconds(1));
        Assert.False(socket.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead), "Closed before the deadline.");

        // The middleware may only now be waiting: advance until the close shows, within the cap.
        await ClosesAsync(socket, () => time.Advance(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task AListenerAtItsMaximumClosesNewConnectionsAtOnceSaysSoAndServesAgainOnceThePressureGoes()
    {
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(logs));
        await using var server = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend(),
            new MeshServerOptions { MaxConnectionsPerListener = 3, LoggerFactory = loggerFactory });
        await using var backend = await TestBackend.StartAsync("backend-v2");
        server.State.SetApplication("backend-v2", 0, backend.Address);
        var listener = server.Addresses["inbound|backend-v2|0"];
        var changes = 0;
        server.OverloadChanged += () => Interlocked.Increment(ref changes);

        var held = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await ConnectAsync(listener));
        }

        // A connect completes in the kernel's backlog before the listener takes it: wait until it holds all three.
        await Eventually.TrueAsync(() => server.OpenConnections("inbound|backend-v2|0") == 3, Cap);

        // Accepted, then closed at once: not left hanging (the reset may even reach the connect before it completes).
        try
        {
            using var over = await ConnectAsync(listener);
            await ClosesAsync(over, () => { });
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        Assert.Contains("inbound|backend-v2|0", server.Overloaded);
        Assert.Contains(logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.Contains("inbound|backend-v2|0 is overloaded", StringComparison.Ordinal));

        foreach (var socket in held)
        {
            socket.Dispose();
        }

        await Eventually.TrueAsync(() => server.Overloaded.Count == 0, Cap);
        using var client = new HttpClient { Timeout = Cap };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(listener)).StatusCode);
        Assert.Equal(2, Volatile.Read(ref changes));
    }

    [Fact]
    public async Task ACallerThatHangsUpBeforeItsFirstByteIsNotAnError()
    {
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(logs));
        await using var server = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend() with
        {
            PeerAuthentications = [new PeerAuthentication("default", MutualTlsMode.Strict)],
        }, new MeshServerOptions { LoggerFactory = loggerFactory });

        foreach (var listener in new[] { "inbound|backend-v2|0", "outbound|caller|backend", "ingress|gateway" })
        {
            foreach (var reset in new[] { false, true })
            {
                using var socket = await ConnectAsync(server.Addresses[listener]);
                if (reset)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
            }
        }

        // One request after them all: when it is answered, the hang-ups before it have been handled.
        using var client = new HttpClient { Timeout = Cap };
        await client.GetAsync(server.Addresses["ingress|gateway"]);
        Assert.DoesNotContain(logs.Entries, entry => entry.Level >= LogLevel.Warning);
    }

    private static async Task<Socket> ConnectAsync(Uri listener)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, listener.Port);
        return socket;
    }

    /// <summary>Waits, doing <paramref name="step"/> between looks, until the peer closes <paramref name="socket"/>; fails after the cap.</summary>
    private static async Task ClosesAsync(Socket socket, Action step)
    {
        var buffer = new byte[1024];
        using var cap = new CancellationTokenSource(Cap);
        while (true)
        {
            step();
            if (socket.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead))
            {
                try
                {
                    if (await socket.ReceiveAsync(buffer, SocketFlags.None, cap.Token) == 0)
                    {
                        return;
                    }
                }
                catch (SocketException)
                {
                    return;
                }
            }

            Assert.False(cap.IsCancellationRequested, "The connection was not closed within 10 s.");
        }
    }
}
