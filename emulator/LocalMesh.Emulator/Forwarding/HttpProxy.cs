using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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
    /// Builds one try's request to <paramref name="upstream"/>. <paramref name="attempt"/> is
    /// written as <c>x-envoy-attempt-count</c> by outbound sidecars; null for the inbound hop.
    /// </summary>
    public static HttpRequestMessage CreateRequest(HttpContext context, Uri upstream, HttpContent? body, int? attempt)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), new Uri(upstream, incoming.Path.ToUriComponent() + incoming.QueryString.ToUriComponent()))
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = body,
        };

        foreach (var (name, values) in incoming.Headers)
        {
            if (HopByHop.Contains(name) || name.StartsWith(':'))
            {
                continue;
            }

            var added = values.Count == 1
                ? request.Headers.TryAddWithoutValidation(name, values[0])
                : request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            if (!added)
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        // Envoy keeps the authority the caller used; HttpClient would otherwise write the upstream's.
        request.Headers.Host = incoming.Host.Value;
        if (attempt is { } count)
        {
            request.Headers.Remove(AttemptCountHeader);
            request.Headers.TryAddWithoutValidation(AttemptCountHeader, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        InjectTraceContext(request.Headers);
        return request;
    }

    public static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.ContainsKey(HeaderNames.TransferEncoding));

    /// <summary>Writes <paramref name="response"/> to the caller, streaming the body.</summary>
    public static async Task CopyResponseAsync(HttpContext context, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var outgoing = context.Response;
        outgoing.StatusCode = (int)response.StatusCode;
        CopyHeaders(response.Headers, outgoing.Headers);
        CopyHeaders(response.Content.Headers, outgoing.Headers);
        if (context.Features.Get<IHttpResponseFeature>() is { } feature && response.ReasonPhrase is { } reason)
        {
            feature.ReasonPhrase = reason;
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(outgoing.Body, cancellationToken);
    }

    private static void CopyHeaders(HttpHeaders from, IHeaderDictionary to)
    {
        foreach (var (name, values) in from.NonValidated)
        {
            if (!HopByHop.Contains(name))
            {
                to[name] = values.Count == 1 ? values.ToString() : values.ToArray();
            }
        }
    }

    /// <summary>The current hop's span becomes the parent the next hop sees; without one, the caller's context passes as it came.</summary>
    private static void InjectTraceContext(HttpRequestHeaders headers)
    {
        if (Activity.Current is not { } activity)
        {
            return;
        }

        var propagator = DistributedContextPropagator.Current;
        foreach (var field in propagator.Fields)
        {
            headers.Remove(field);
        }

        propagator.Inject(activity, headers, static (carrier, name, value) =>
            ((HttpRequestHeaders)carrier!).TryAddWithoutValidation(name, value));
    }
}
