using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Forwarding;
using LocalMesh.Emulator.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace LocalMesh.Emulator.Tests;

/// <summary>
/// The sidecars' HTTP/1.1 client against an upstream that writes exact bytes: what goes on the
/// wire, each way a response body can be framed, keep-alive and its limits, and broken upstreams.
/// </summary>
public sealed class UpstreamClientsTests : IAsyncLifetime
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    private readonly ScriptedUpstream _upstream = new();
    private readonly Http1ConnectionPools _clients = new(new UpstreamConnector(new PeerRegistry(), TimeProvider.System), TimeProvider.System);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _clients.Dispose();
        await _upstream.DisposeAsync();
    }

    /// <summary>A GET for <paramref name="path"/> as an inbound hop writes it.</summary>
    internal static Http1Request Get(string path, string method = "GET")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.Host = new HostString("reviews:9080");
        return HttpProxy.CreateRequest(context, UpstreamBody.None, attempt: null);
    }

    /// <summary>A 100 kB body (more than a connection buffers) for <c>/big</c>, <paramref name="otherwise"/> for anything else.</summary>
    private static Func<string, string> BigOr(string otherwise) => request => request.StartsWith("GET /big", StringComparison.Ordinal)
        ? $"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{new string('x', 100_000)}"
        : otherwise;

    [Fact]
    public async Task TheRequestHeadKeepsTheCallersAuthorityAndHeadersButNotHopByHopOnes()
    {
        _upstream.Respond(_ => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/reviews/0";
        context.Request.QueryString = new QueryString("?a=1&b=%20");
        context.Request.Host = new HostString("reviews:9080");
        context.Request.Headers["end-user"] = "jason";
        context.Request.Headers["Connection"] = "keep-alive, x-private";
        context.Request.Headers["Keep-Alive"] = "timeout=5";
        context.Request.Headers["Expect"] = "100-continue";
        context.Request.Headers["x-envoy-attempt-count"] = "7";
        context.Request.Headers["Content-Length"] = "5";
        using var request = HttpProxy.CreateRequest(context, UpstreamBody.From("hello"u8.ToArray()), attempt: 2);

        using var response = await SendAsync(request);

        var received = Assert.Single(_upstream.Requests);
        Assert.Equal(
            "POST /reviews/0?a=1&b=%20 HTTP/1.1\r\nHost: reviews:9080\r\nend-user: jason\r\nx-envoy-attempt-count: 2\r\nContent-Length: 5\r\n\r\nhello",
            received);
    }

    [Fact]
    public async Task AChunkedBodyArrivingInPiecesIsReassembledAndTheConnectionReused()
    {
        _upstream.Respond(_ => ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "lo\r\n6;ext=1\r\n world\r\n0\r\nx-trailer: t\r\n\r\n"]);

        Assert.Equal("hello world", await BodyAsync(Get("/first")));
        Assert.Equal("hello world", await BodyAsync(Get("/second")));
        Assert.Equal(1, _upstream.Connections);
    }

    [Fact]
    public async Task ASizedBodyIsReadToItsLengthAndTheConnectionReused()
    {
        _upstream.Respond(BigOr("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));

        Assert.Equal(100_000, (await BodyAsync(Get("/big"))).Length);
        Assert.Equal("ok", await BodyAsync(Get("/small")));
        Assert.Equal(1, _upstream.Connections);
    }

    [Fact]
    public async Task ABodyWithoutFramingLastsUntilTheUpstreamClosesAndEndsTheConnection()
    {
        _upstream.Respond(_ => "HTTP/1.1 200 OK\r\n\r\nuntil the end", close: true);

        Assert.Equal("until the end", await BodyAsync(Get("/")));
        Assert.Equal("until the end", await BodyAsync(Get("/")));
        Assert.Equal(2, _upstream.Connections);
    }

    [Theory]
    [InlineData("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")]
    [InlineData("GET", "HTTP/1.1 204 No Content\r\n\r\n")]
    [InlineData("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")]
    public async Task SomeResponsesHaveNoBodyWhateverTheirHeadersSay(string method, string head)
    {
        _upstream.Respond(_ => head);

        Assert.Equal("", await BodyAsync(Get("/", method)));
        Assert.Equal("", await BodyAsync(Get("/", method)));
        Assert.Equal(1, _upstream.Connections);
    }

    [Fact]
    public async Task InterimResponsesAreSkipped()
    {
        _upstream.Respond(_ => "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone");

        using var request = Get("/");
        using var response = await SendAsync(request);

        Assert.Equal(201, response.StatusCode);
    }

    [Fact]
    public async Task ConnectionCloseFromEitherSideEndsTheConnection()
    {
        _upstream.Respond(request => request.Contains("/closing", StringComparison.Ordinal)
            ? "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
            : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/asking";

        await BodyAsync(HttpProxy.CreateRequest(context, UpstreamBody.None, attempt: null, connectionClose: true));
        await BodyAsync(Get("/closing"));
        await BodyAsync(Get("/"));

        Assert.Contains("Connection: close\r\n", _upstream.Requests.First());
        Assert.Equal(3, _upstream.Connections);
    }

    [Fact]
    public async Task AResponseLeftUnreadKeepsItsConnectionOnlyWhenItsBodyHadArrivedWhole()
    {
        _upstream.Respond(BigOr("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 11\r\n\r\nunavailable"));
        async Task DiscardAsync(string path)
        {
            using var request = Get(path);
            using var response = await SendAsync(request); // as a retry drops a response it will not forward
        }

        await DiscardAsync("/small");
        await DiscardAsync("/small");
        Assert.Equal(1, _upstream.Connections);

        await DiscardAsync("/big");
        await DiscardAsync("/small");
        Assert.Equal(2, _upstream.Connections);
    }

    [Fact]
    public async Task AnIdleConnectionTheUpstreamClosedIsReplacedWithoutAnError()
    {
        // The upstream answers, then closes the connection as soon as it is idle (as a server's keep-alive timeout does).
        _upstream.Respond(_ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true);

        Assert.Equal("ok", await BodyAsync(Get("/")));
        await _upstream.WaitForClosedAsync(1, Cap);
        Assert.Equal("ok", await BodyAsync(Get("/")));
        Assert.Equal(2, _upstream.Connections);
    }

    [Fact]
    public async Task AnIdleConnectionClosesAfterTheDestinationsIdleTimeout()
    {
        var time = new FakeTimeProvider();
        using var clients = new Http1ConnectionPools(new UpstreamConnector(new PeerRegistry(), time), time);
        var target = new UpstreamTarget(null, _upstream.Address,
            ConnectionPool: new ConnectionPoolSettings { Http = new HttpSettings { IdleTimeout = TimeSpan.FromSeconds(5) } });
        _upstream.Respond(_ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        async Task CallAsync()
        {
            using var request = Get("/");
            using var response = await clients.SendAsync(target, request, CancellationToken.None).AsTask().WaitAsync(Cap);
            await response.CopyBodyAsync(destination: null, CancellationToken.None);
        }

        await CallAsync();
        time.Advance(TimeSpan.FromSeconds(4));
        await CallAsync();
        Assert.Equal(1, _upstream.Connections);

        time.Advance(TimeSpan.FromSeconds(5) + Http1ConnectionPools.SweepPeriod);
        await _upstream.WaitForClosedAsync(1, Cap);
        await CallAsync();
        Assert.Equal(2, _upstream.Connections);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n")]           // closed before the head ended
    [InlineData("")]                                                   // closed before anything
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")] // closed inside the body
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    public async Task AnUpstreamThatBreaksOffIsAnError(string partial)
    {
        _upstream.Respond(_ => partial, close: true);

        await Assert.ThrowsAsync<HttpRequestException>(() => BodyAsync(Get("/")));
    }

    [Theory]
    [InlineData("SPDY/3 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")]
    public async Task AMalformedResponseIsAnInvalidResponse(string response)
    {
        _upstream.Respond(_ => response, close: true);

        using var request = Get("/");
        var error = await Assert.ThrowsAsync<HttpRequestException>(async () => await SendAsync(request));

        Assert.Equal(HttpRequestError.InvalidResponse, error.HttpRequestError);
    }

    [Fact]
    public async Task NothingListeningIsAConnectionError()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        using var request = Get("/");
        var error = await Assert.ThrowsAsync<HttpRequestException>(async () =>
            await _clients.SendAsync(new UpstreamTarget(null, new Uri($"http://127.0.0.1:{port}/")), request, CancellationToken.None));

        Assert.Equal(HttpRequestError.ConnectionError, error.HttpRequestError);
    }

    [Fact]
    public async Task ResponseHeadersReachTheCallerWithRepeatsAndWithoutHopByHopOnes()
    {
        _upstream.Respond(_ => "HTTP/1.1 418 Short And Stout\r\nSet-Cookie: a=1\r\nKeep-Alive: timeout=5\r\nSet-Cookie: b=2\r\nx-upstream: yes\r\nContent-Length: 3\r\n\r\ntea");
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        using (var request = Get("/"))
        using (var response = await SendAsync(request))
        {
            await HttpProxy.CopyResponseAsync(context, response, CancellationToken.None);
            await context.Response.BodyWriter.FlushAsync();
        }

        Assert.Equal(418, context.Response.StatusCode);
        Assert.Equal("Short And Stout", context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>()!.ReasonPhrase);
        Assert.Equal("a=1,b=2", string.Join(",", context.Response.Headers.SetCookie.ToArray()));
        Assert.Equal("yes", context.Response.Headers["x-upstream"]);
        Assert.False(context.Response.Headers.ContainsKey("Keep-Alive"));
        Assert.Equal("tea", Encoding.ASCII.GetString(body.ToArray()));
    }

    private Task<Http1Response> SendAsync(Http1Request request) =>
        _clients.SendAsync(new UpstreamTarget(null, _upstream.Address), request, CancellationToken.None).AsTask().WaitAsync(Cap);

    private async Task<string> BodyAsync(Http1Request request)
    {
        using (request)
        {
            using var response = await SendAsync(request);
            var pipe = new System.IO.Pipelines.Pipe(new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: 0)); // read after the copy: never full
            await response.CopyBodyAsync(pipe.Writer, CancellationToken.None).AsTask().WaitAsync(Cap);
            await pipe.Writer.CompleteAsync();
            using var body = new MemoryStream();
            await pipe.Reader.CopyToAsync(body);
            return Encoding.ASCII.GetString(body.ToArray());
        }
    }

    /// <summary>
    /// An upstream on a real socket that answers each request (a head, and as many body bytes as
    /// its Content-Length says) with the exact bytes a script gives, in the pieces it gives, and
    /// closes the connection after each response when told to.
    /// </summary>
    private sealed class ScriptedUpstream : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<string> _requests = new();
        private readonly ConcurrentBag<Task> _connections = [];
        private Func<string, string[]> _script = _ => [];
        private bool _close;
        private int _connected;
        private int _closed;

        public ScriptedUpstream()
        {
            _listener.Start();
            Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _ = AcceptAsync();
        }

        public Uri Address { get; }

        public IReadOnlyCollection<string> Requests => _requests;

        public int Connections => Volatile.Read(ref _connected);

        public void Respond(Func<string, string> script, bool close = false) => Respond(request => [script(request)], close);

        public void Respond(Func<string, string[]> script, bool close = false) => (_script, _close) = (script, close);

        public async Task WaitForClosedAsync(int count, TimeSpan cap)
        {
            using var timeout = new CancellationTokenSource(cap);
            while (Volatile.Read(ref _closed) < count)
            {
                await Task.Delay(10, timeout.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await Task.WhenAll(_connections).WaitAsync(Cap).ContinueWith(_ => { });
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref _connected);
                _connections.Add(ServeAsync(socket));
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var _ = socket;
            var received = new StringBuilder();
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    if (NextRequest(received) is not { } request)
                    {
                        var read = await socket.ReceiveAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                        continue;
                    }

                    _requests.Enqueue(request);
                    foreach (var piece in _script(request))
                    {
                        await socket.SendAsync(Encoding.ASCII.GetBytes(piece), _stop.Token);
                        await Task.Delay(1, _stop.Token); // the pieces arrive apart
                    }

                    if (_close)
                    {
                        socket.Shutdown(SocketShutdown.Both);
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                Interlocked.Increment(ref _closed);
            }
        }

        /// <summary>Takes one whole request (head and sized body) off the front of <paramref name="received"/>, or null when it has not all arrived.</summary>
        private static string? NextRequest(StringBuilder received)
        {
            var text = received.ToString();
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd < 0)
            {
                return null;
            }

            var bodyLength = text[..headEnd].Split("\r\n")
                .Where(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(line => int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                .FirstOrDefault();
            var total = headEnd + 4 + bodyLength;
            if (text.Length < total)
            {
                return null;
            }

            received.Remove(0, total);
            return text[..total];
        }
    }
}
