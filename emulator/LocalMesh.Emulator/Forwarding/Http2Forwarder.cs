using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using LocalMesh.Emulator.Grpc;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// HTTP/2 upstream (gRPC and HTTP/2 service ports), on <see cref="SocketsHttpHandler"/>: one
/// multiplexed connection per calling workload and upstream, as an Envoy sidecar keeps, each call
/// its own stream. The connection is opened by <see cref="UpstreamConnector"/> (so it carries the
/// caller's identity and mutual TLS with ALPN <c>h2</c>), and HTTP/2 runs on it with prior knowledge.
/// Request and response bodies stream both ways at once, and the response's trailers
/// (<c>grpc-status</c>, <c>grpc-message</c>) reach the caller.
/// </summary>
internal sealed class Http2Forwarder(UpstreamConnector connector) : IForwarder, IDisposable
{
    private static readonly HttpRequestOptionsKey<UpstreamTarget> TargetOption = new("localmesh.upstream-target");

    /// <summary>Lets paths through as the caller sent them: a proxy does not normalize them.</summary>
    private static readonly UriCreationOptions AsSent = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private readonly ConcurrentDictionary<Http1ConnectionPools.PoolKey, HttpMessageInvoker> _clients = new();

    public bool StreamsUnknownLength => true;

    public async ValueTask<IUpstreamResponse> SendAsync(HttpContext context, UpstreamBody body, UpstreamTarget target, int? attempt, string? authority, CancellationToken cancellationToken)
    {
        var client = _clients.GetOrAdd(new Http1ConnectionPools.PoolKey(target.Workload ?? "", target.Address, target.MutualTls?.ExpectedServer), CreateClient, target);
        var message = CreateMessage(context, body, target, attempt, authority);
        try
        {
            var response = await client.SendAsync(message, cancellationToken);
            return new Http2Response(response, message);
        }
        catch (HttpRequestException ex) when (ex.InnerException is HttpRequestException or DownstreamRequestException)
        {
            message.Dispose();
            // The connector's own failure (connect, TLS) or the caller's broken body, as the HTTP/1.1 client reports them.
            throw ex.InnerException;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    private HttpMessageInvoker CreateClient(Http1ConnectionPools.PoolKey key, UpstreamTarget first) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        // The sidecar writes trace context itself, from its own span.
        ActivityHeadersPropagator = null,
        // More streams than one connection takes (Kestrel's 100) open another connection, as Envoy does.
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = first.ConnectionPool?.Http?.IdleTimeout ?? Configuration.HttpSettings.DefaultIdleTimeout,
        ConnectCallback = async (connection, cancellationToken) =>
        {
            var target = connection.InitialRequestMessage.Options.TryGetValue(TargetOption, out var value) ? value : first;
            var (socket, stream, closed) = await connector.ConnectAsync(target, UpstreamConnector.EndPointOf(target.Address), SslApplicationProtocol.Http2, cancellationToken);
            return new ConnectionStream(socket, stream, closed);
        },
    }, disposeHandler: true);

    private static HttpRequestMessage CreateMessage(HttpContext context, UpstreamBody body, UpstreamTarget target, int? attempt, string? authority)
    {
        var incoming = context.Request;
        // Always http: TLS, when there is any, is already on the connection the connector opened.
        var uri = new Uri($"http://{target.Address.Authority}{(incoming.Path.HasValue ? incoming.Path.ToUriComponent() : "/")}{incoming.QueryString.Value}", in AsSent);
        var message = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        message.Options.Set(TargetOption, target);
        // Envoy keeps the authority the caller used.
        message.Headers.Host = authority ?? incoming.Host.Value;
        if (HttpProxy.HasBody(incoming) || body.Length > 0 || body.Streamed is not null)
        {
            message.Content = new ForwardedContent(body);
        }

        HttpProxy.CopyRequestHeaders(context, attempt, new MessageHeaders(message));
        if (incoming.Headers.TE == "trailers")
        {
            // The one TE value HTTP/2 allows: gRPC servers require it.
            message.Headers.TryAddWithoutValidation(HeaderNames.TE, "trailers");
        }

        return message;
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private sealed class MessageHeaders(HttpRequestMessage message) : IRequestHeaders
    {
        public void Add(string name, string value)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                // Content-Type and the like belong to the content.
                message.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    /// <summary>
    /// The request body: sent at once when buffered; streamed when the caller's body is, each piece
    /// sent on as it arrives (a client stream of gRPC messages is not held back until it ends).
    /// </summary>
    private sealed class ForwardedContent(UpstreamBody body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            if (body.Streamed is not { } source)
            {
                await stream.WriteAsync(body.Buffered, cancellationToken);
                return;
            }

            await StreamCopy.CopyAsync(source, stream, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return length >= 0;
        }
    }

    /// <summary>An HTTP/2 response: streamed to the caller as frames arrive, trailers after the body.</summary>
    private sealed class Http2Response(HttpResponseMessage response, HttpRequestMessage request) : IUpstreamResponse
    {
        public int StatusCode => (int)response.StatusCode;

        public int? GrpcStatus => response.Headers.TryGetValues(GrpcCommon.StatusHeader, out var values) ? GrpcCommon.ParseStatus(values.FirstOrDefault()) : null;

        public async Task<long> CopyToAsync(HttpContext context, CancellationToken cancellationToken)
        {
            var outgoing = context.Response;
            outgoing.StatusCode = StatusCode;
            Copy(response.Headers, outgoing.Headers);
            Copy(response.Content.Headers, outgoing.Headers);

            long length;
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            {
                length = await StreamCopy.CopyAsync(body, outgoing.Body, cancellationToken);
            }

            if (response.TrailingHeaders.Any() && context.Features.Get<IHttpResponseTrailersFeature>() is { } trailers)
            {
                foreach (var (name, values) in response.TrailingHeaders)
                {
                    trailers.Trailers.Append(name, values.ToArray());
                }
            }

            return length;
        }

        /// <summary>HTTP/2 has no 101: an upgrade is not forwarded over it (RFC 9113 §8.6).</summary>
        public Task<(long Received, long Sent)?> TryTunnelAsync(HttpContext context, CancellationToken cancellationToken) => Task.FromResult<(long, long)?>(null);

        public async Task DiscardAsync(CancellationToken cancellationToken)
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await body.CopyToAsync(Stream.Null, cancellationToken);
        }

        private static void Copy(HttpHeaders headers, IHeaderDictionary outgoing)
        {
            foreach (var (name, values) in headers)
            {
                if (!HttpProxy.IsHopByHop(name))
                {
                    outgoing.Append(name, values.ToArray());
                }
            }
        }

        public void Dispose()
        {
            response.Dispose();
            request.Dispose();
        }
    }

    /// <summary>The connection's stream, which also closes its socket and says the connection ended.</summary>
    private sealed class ConnectionStream(Socket socket, Stream inner, Action? closed) : Stream
    {
        private int _disposed;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                inner.Dispose();
                socket.Dispose();
                closed?.Invoke();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>
/// Copies a stream as it arrives: each piece is written on at once and flushed when nothing more
/// is ready to read, so a stream of messages is never held back and a small body whose end has
/// already arrived goes out with its end (a unary gRPC reply with its trailers, in one write).
/// </summary>
internal static class StreamCopy
{
    private const int BufferLength = 16 * 1024;

    /// <summary>Copies <paramref name="source"/> to its end; the bytes copied.</summary>
    public static async Task<long> CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferLength);
        var next = ArrayPool<byte>.Shared.Rent(BufferLength);
        long copied = 0;
        try
        {
            var read = await source.ReadAsync(buffer, cancellationToken);
            while (read > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                copied += read;
                var reading = source.ReadAsync(next, cancellationToken);
                if (!reading.IsCompleted)
                {
                    // Nothing more yet: what was written must not wait for it.
                    await destination.FlushAsync(cancellationToken);
                }

                read = await reading;
                (buffer, next) = (next, buffer);
            }

            return copied;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(next);
        }
    }
}
