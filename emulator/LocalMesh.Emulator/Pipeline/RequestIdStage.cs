using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>Gives every request an <c>x-request-id</c> if it has none, as Envoy does at the edge.</summary>
internal sealed class RequestIdStage(RequestDelegate next)
{
    public const string Header = "x-request-id";

    public Task InvokeAsync(HttpContext context)
    {
        if (string.IsNullOrEmpty(context.Request.Headers[Header]))
        {
            context.Request.Headers[Header] = Guid.NewGuid().ToString();
        }

        return next(context);
    }
}
