using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LocalMesh.Emulator.Grpc;

/// <summary>
/// gRPC as the mesh's proxies see it, in one place as Envoy keeps it (<c>source/common/grpc/common.h</c>):
/// which requests are gRPC calls, where a call's status is read, how the mesh's own replies reach a
/// gRPC caller, and what the status names in routes mean.
/// </summary>
internal static class GrpcCommon
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";

    /// <summary>The <c>retryOn</c> conditions that name a gRPC status (Envoy's <c>x-envoy-retry-grpc-on</c>), with the status each means.</summary>
    public static readonly FrozenDictionary<string, int> RetryOnStatuses = new Dictionary<string, int>
    {
        ["cancelled"] = 1, ["deadline-exceeded"] = 4, ["resource-exhausted"] = 8, ["internal"] = 13, ["unavailable"] = 14,
    }.ToFrozenDictionary();

    /// <summary>Whether the caller speaks gRPC (Envoy's test: a <c>content-type</c> of <c>application/grpc</c>, with or without a suffix).</summary>
    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)
        && (type.Length == ContentType.Length || type[ContentType.Length] is '+' or ';');

    /// <summary>A call's status as the caller will read it: from the trailers, or from the headers of a trailers-only response; empty when there is none yet.</summary>
    public static string StatusOf(HttpContext context) =>
        context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { } trailers && trailers.TryGetValue(StatusHeader, out var trailer) ? trailer.ToString()
        : context.Response.Headers.TryGetValue(StatusHeader, out var header) ? header.ToString()
        : "";

    /// <summary>An upstream's <c>grpc-status</c> header value as a number (for retry conditions), or null.</summary>
    public static int? ParseStatus(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;

    /// <summary>
    /// The gRPC status Envoy gives a local reply to a gRPC caller in place of
    /// <paramref name="httpStatus"/> (<c>Grpc::Utility::httpToGrpcStatus</c>, after gRPC's own
    /// HTTP-to-gRPC status mapping).
    /// </summary>
    public static int StatusFromHttp(int httpStatus) => httpStatus switch
    {
        400 => 13, // INTERNAL
        401 => 16, // UNAUTHENTICATED
        403 => 7, // PERMISSION_DENIED
        404 => 12, // UNIMPLEMENTED
        429 or 502 or 503 or 504 => 14, // UNAVAILABLE
        _ => 2, // UNKNOWN
    };

    /// <summary>A status as a route's fault names it (<c>UNAVAILABLE</c>, or its number), as the number the wire carries.</summary>
    public static string StatusCode(string status) => status.ToUpperInvariant() switch
    {
        "CANCELLED" => "1", "UNKNOWN" => "2", "INVALID_ARGUMENT" => "3", "DEADLINE_EXCEEDED" => "4", "NOT_FOUND" => "5",
        "ALREADY_EXISTS" => "6", "PERMISSION_DENIED" => "7", "RESOURCE_EXHAUSTED" => "8", "FAILED_PRECONDITION" => "9",
        "ABORTED" => "10", "OUT_OF_RANGE" => "11", "UNIMPLEMENTED" => "12", "INTERNAL" => "13", "UNAVAILABLE" => "14",
        "DATA_LOSS" => "15", "UNAUTHENTICATED" => "16", var numeric => numeric,
    };

    /// <summary>
    /// A trailers-only response, as Envoy sends its local replies to gRPC callers: HTTP 200, the
    /// status and message in the headers, no body.
    /// </summary>
    public static void WriteTrailersOnly(HttpResponse response, string status, string? message)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers[StatusHeader] = status;
        if (message is not null)
        {
            response.Headers[MessageHeader] = PercentEncode(message);
        }
    }

    /// <summary>grpc-message's encoding (gRPC over HTTP/2, "Responses"): UTF-8, with bytes outside printable ASCII and '%' percent-encoded.</summary>
    private static string PercentEncode(string message)
    {
        var encoded = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}
