using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace LocalMesh.Emulator.Forwarding;

/// <summary>
/// Turns the incoming request into an upstream one and the upstream response into the
/// outgoing one: headers (minus hop-by-hop ones), body, and the current span as trace parent.
/// </summary>
internal static class HttpProxy
{
    public const string AttemptCountHeader = "x-envoy-attempt-count";

    /// <summary>Connection-level headers that are never forwarded (RFC 9110 §7.6.1).</summary>
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Connection, HeaderNames.KeepAlive, HeaderNames.ProxyAuthenticate, HeaderNames.ProxyAuthorization,
        HeaderNames.TE, HeaderNames.Trailer, HeaderNames.TransferEncoding, HeaderNames.Upgrade, "Proxy-Connection",
    };

    /// <summary>
    /// Request headers the proxy writes itself, or drops: <c>Expect</c>, as the body is sent at
    /// once and the upstream has nothing to say before it.
    /// </summary>
    private static readonly HashSet<string> Rewritten = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Host, HeaderNames.ContentLength, HeaderNames.Expect,
    };

    /// <summary>
    /// Builds one try's request. <paramref name="attempt"/> is written as <c>x-envoy-attempt-count</c>
    /// by outbound sidecars (null for the inbound hop); <paramref name="authority"/> replaces the
    /// caller's (a mirror's <c>-shadow</c>); <paramref name="connectionClose"/> ends the connection
    /// after the response.
    /// </summary>
    public static Http1Request CreateRequest(HttpContext context, UpstreamBody body, int? attempt, string? authority = null, bool connectionClose = false)
    {
        var incoming = context.Request;
        var head = new RequestHeadWriter(1024);
        head.Append(incoming.Method);
        head.Append(" "u8);
        head.Append(incoming.Path.HasValue ? incoming.Path.ToUriComponent() : "/");
        if (incoming.QueryString.HasValue)
        {
            head.Append(incoming.QueryString.Value!);
        }

        head.Append(" HTTP/1.1\r\n"u8);
        // Envoy keeps the authority the caller used.
        head.AppendHeader(HeaderNames.Host, authority ?? incoming.Host.Value ?? "");

        CopyRequestHeaders(context, attempt, head);
        if (body.Length > 0 || incoming.ContentLength == 0 || HttpMethods.IsPost(incoming.Method) || HttpMethods.IsPut(incoming.Method) || HttpMethods.IsPatch(incoming.Method))
        {
            head.AppendHeader(HeaderNames.ContentLength, body.Length.ToString(CultureInfo.InvariantCulture));
        }

        if (IsUpgrade(context))
        {
            // An upgrade (a WebSocket) is asked of the next hop as the caller asked it: the one hop-by-hop exchange a proxy passes on.
            head.AppendHeader(HeaderNames.Connection, "Upgrade");
            head.AppendHeader(HeaderNames.Upgrade, incoming.Headers.Upgrade.ToString());
        }
        else if (connectionClose)
        {
            head.Append("Connection: close\r\n"u8);
        }

        return head.Complete(body, expectsNoBody: HttpMethods.IsHead(incoming.Method), connectionClose);
    }

    /// <summary>
    /// Gives <paramref name="headers"/> the headers the next hop gets: the caller's, minus hop-by-hop
    /// ones, pseudo-headers and those the proxy writes itself (host, framing, the attempt count of
    /// outbound sidecars, trace context, which becomes the current span's).
    /// </summary>
    public static void CopyRequestHeaders(HttpContext context, int? attempt, IRequestHeaders headers)
    {
        var activity = Activity.Current;
        var propagator = activity is null ? null : DistributedContextPropagator.Current;
        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name) || Rewritten.Contains(name) || name.StartsWith(':')
                || (attempt is not null && name.Equals(AttemptCountHeader, StringComparison.OrdinalIgnoreCase))
                || (propagator is not null && IsTraceField(propagator, name)))
            {
                continue;
            }

            foreach (var value in values)
            {
                headers.Add(name, value ?? "");
            }
        }

        if (attempt is { } count)
        {
            headers.Add(AttemptCountHeader, count.ToString(CultureInfo.InvariantCulture));
        }

        if (propagator is not null)
        {
            // The current hop's span becomes the parent the next hop sees; without one, the caller's context passes as it came.
            propagator.Inject(activity, headers, static (carrier, name, value) => ((IRequestHeaders)carrier!).Add(name, value ?? ""));
        }
    }

    /// <summary>Whether the caller asks to switch protocols (HTTP/1.1 <c>Upgrade</c>, e.g. to a WebSocket).</summary>
    public static bool IsUpgrade(HttpContext context) => context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true;

    /// <summary>
    /// The upstream switched protocols (101): the caller's connection switches too, with the
    /// upstream's handshake headers, and from then on bytes flow both ways until either side closes
    /// or <paramref name="cancellationToken"/> fires. Returns the bytes sent each way.
    /// </summary>
    public static async Task<(long Received, long Sent)> TunnelAsync(HttpContext context, Http1Response response, CancellationToken cancellationToken)
    {
        foreach (var (name, value) in response.Head.Headers)
        {
            if (!name.Equals(HeaderNames.Connection, StringComparison.OrdinalIgnoreCase)
                && !name.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers.Append(name, value);
            }
        }

        var downstream = await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
        return await response.TunnelAsync(downstream, cancellationToken);
    }

    /// <summary>Whether <paramref name="name"/> is a connection-level header, never forwarded.</summary>
    public static bool IsHopByHop(string name) => HopByHop.Contains(name);

    /// <summary>Whether the request has a body: a length over 0, chunked over HTTP/1.1, or an HTTP/2 stream not ended with its headers.</summary>
    public static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null
            && (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? request.Headers.ContainsKey(HeaderNames.TransferEncoding)));

    /// <summary>Writes <paramref name="response"/> to the caller, streaming the body; the body's length.</summary>
    public static async Task<long> CopyResponseAsync(HttpContext context, Http1Response response, CancellationToken cancellationToken)
    {
        var outgoing = context.Response;
        var head = response.Head;
        outgoing.StatusCode = head.StatusCode;
        var headers = head.Headers;
        for (var i = 0; i < headers.Count; i++)
        {
            var (name, value) = headers[i];
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (SeenBefore(headers, i))
            {
                outgoing.Headers.Append(name, value);
            }
            else
            {
                outgoing.Headers[name] = value;
            }
        }

        if (head.ReasonPhrase is { } reason && reason != ReasonPhrases.GetReasonPhrase(head.StatusCode)
            && context.Features.Get<IHttpResponseFeature>() is { } feature)
        {
            feature.ReasonPhrase = reason;
        }

        return await response.CopyBodyAsync(outgoing.BodyWriter, cancellationToken);
    }

    private static bool SeenBefore(IReadOnlyList<KeyValuePair<string, string>> headers, int index)
    {
        for (var i = 0; i < index; i++)
        {
            if (headers[i].Key.Equals(headers[index].Key, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsTraceField(DistributedContextPropagator propagator, string name)
    {
        foreach (var field in propagator.Fields)
        {
            if (field.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Where <see cref="HttpProxy.CopyRequestHeaders"/> writes the next hop's headers, whatever protocol carries them.</summary>
internal interface IRequestHeaders
{
    void Add(string name, string value);
}
