using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Randomness;
using LocalMesh.Emulator.Routing;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// Decides where a request to a destination service goes (outbound sidecars, service addresses,
/// the ingress gateway): the service's first matching route (404 NR when none), its redirect,
/// rewrite and header changes, and one of its weighted destinations.
/// </summary>
internal sealed class RouteMatchStage(RequestDelegate next, IMeshRandom random)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        var listener = request.Listener;
        request.DestinationService ??= listener.Destination;
        // An ingress gateway that Gateways select serves what their VirtualServices route for the request's host, and nothing else.
        var table = request.RouteTable
            ?? (request.Snapshot.GatewayRoutes.TryGetValue(listener.Name, out var gateway) ? gateway.For(context.Request.Host.Host)
            : listener.Destination is { } service ? request.Snapshot.Routes[service]
            : null);
        if (table is null)
        {
            return Responses.NoRoute(context, request);
        }

        var sourceLabels = request.Snapshot.Workloads.TryGetValue(request.SourceWorkload, out var source) ? source.Labels : NoLabels.Instance;
        if (table.Match(context.Request, new MatchContext(sourceLabels, table.Port)) is not var (route, matcher))
        {
            return Responses.NoRoute(context, request);
        }

        request.Route = route;
        var config = route.Config;
        Apply(config.Headers, context);
        if (config.Redirect is { } redirect)
        {
            return Responses.Redirect(context, redirect);
        }

        if (config.Rewrite is { } rewrite)
        {
            Rewrite(context.Request, rewrite, matcher);
        }

        if (route.PickDestination(random) is not { } destination)
        {
            return Responses.NoHealthyUpstream(context, request);
        }

        request.DestinationService = destination.Cluster.Host;
        if (!destination.Cluster.Exists)
        {
            return destination.Destination.Unresolved ? Responses.UnresolvedBackend(context, request) : Responses.ClusterNotFound(context, request);
        }

        // An original-destination cluster (passthrough, a ServiceEntry resolved NONE) goes where the call named.
        request.Cluster = destination.Cluster.IsOriginalDestination && request.OriginalDestination is { } original
            ? destination.Cluster.ToOriginalDestination(original.Host, destination.Cluster.Port == 0 ? original.Port : destination.Cluster.Port)
            : destination.Cluster;
        Apply(destination.Destination.Headers, context);
        return next(context);
    }

    /// <summary>A prefix match's prefix is replaced; otherwise the whole path is.</summary>
    private static void Rewrite(HttpRequest request, HttpRewrite rewrite, RouteMatcher matcher)
    {
        if (rewrite.Uri is { } uri)
        {
            var path = request.Path.Value ?? "/";
            request.Path = matcher.Uri is { Kind: StringMatchKind.Prefix } prefix && path.Length >= prefix.Value.Length
                ? new PathString(uri + path[prefix.Value.Length..])
                : new PathString(uri);
        }

        if (rewrite.Authority is { } authority)
        {
            request.Host = new HostString(authority);
        }
    }

    private static void Apply(Headers? headers, HttpContext context)
    {
        if (headers?.Request is { } requestHeaders)
        {
            Apply(requestHeaders, context.Request.Headers);
        }

        if (headers?.Response is { } responseHeaders)
        {
            context.Response.OnStarting(() =>
            {
                Apply(responseHeaders, context.Response.Headers);
                return Task.CompletedTask;
            });
        }
    }

    private static void Apply(HeaderOperations operations, IHeaderDictionary headers)
    {
        foreach (var (name, value) in operations.Set ?? new Dictionary<string, string>())
        {
            headers[name] = value;
        }

        foreach (var (name, value) in operations.Add ?? new Dictionary<string, string>())
        {
            headers.Append(name, value);
        }

        foreach (var name in operations.Remove ?? [])
        {
            headers.Remove(name);
        }
    }
}
