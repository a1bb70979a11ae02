using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>HTTP/1.1 upstream: the sidecar's own client, one request at a time on each pooled connection.</summary>
internal sealed class Http1Forwarder(Http1ConnectionPools clients) : IForwarder
{
    /// <summary>An HTTP/1.1 request states its length, so a chunked body is read whole first.</summary>
    public bool StreamsUnknownLength => false;

    public async ValueTask<IUpstreamResponse> SendAsync(HttpContext context, UpstreamBody body, UpstreamTarget target, int? attempt, string? authority, CancellationToken cancellationToken)
    {
        // maxRequestsPerConnection: 1 turns keep-alive off.
        var connectionClose = target.ConnectionPool?.Http?.MaxRequestsPerConnection == 1;
        using var request = HttpProxy.CreateRequest(context, body, attempt, authority, connectionClose);
        return await clients.SendAsync(target, request, cancellationToken);
    }
}
