using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Copies the headers a mesh needs to correlate a call chain from the incoming request to every
/// outgoing one, as Istio asks applications to do.
/// </summary>
/// <remarks>
/// <c>traceparent</c> already flows through OpenTelemetry's HttpClient instrumentation;
/// <c>x-request-id</c> ties the sidecars' access records together and <c>end-user</c> is what
/// the bookinfo routing rules match on.
/// </remarks>
public sealed class MeshHeaderPropagationHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    /// <summary>The headers copied from the incoming request, in Istio's documented list.</summary>
    public static readonly IReadOnlyList<string> PropagatedHeaders = ["x-request-id", "end-user", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled"];

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (accessor.HttpContext?.Request.Headers is { } incoming)
        {
            foreach (var name in PropagatedHeaders)
            {
                if (incoming.TryGetValue(name, out var values) && !request.Headers.Contains(name))
                {
                    request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                }
            }
        }

        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Registration of <see cref="MeshHeaderPropagationHandler"/>.</summary>
public static class MeshHeaderPropagationExtensions
{
    /// <summary>Propagates the mesh's correlation headers on every HttpClient of the application.</summary>
    public static IServiceCollection AddMeshHeaderPropagation(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddTransient<MeshHeaderPropagationHandler>();
        services.ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler<MeshHeaderPropagationHandler>());
        return services;
    }
}
