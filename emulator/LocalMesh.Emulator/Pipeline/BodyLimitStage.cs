using LocalMesh.Emulator.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// A request that declares a body over the listener's limit is answered 413 at once, before it is
/// routed or any of it is sent on, so no upstream sees half of it. (A chunked body over the limit
/// is refused where it is read.)
/// </summary>
internal sealed class BodyLimitStage(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength is { } length
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit && length > limit)
        {
            return Responses.DownstreamError(context, MeshRequest.Get(context), new DownstreamRequestException(
                StatusCodes.Status413PayloadTooLarge, $"the declared body of {length} bytes is over the listener's limit of {limit}."));
        }

        return next(context);
    }
}
