using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;

namespace Aspire.Hosting;

/// <summary>
/// Traffic rules for a mesh service, with Istio's names and meanings: the service's
/// VirtualService routes (<see cref="WithHttpRoute"/>) and DestinationRule subsets and policy
/// (<see cref="WithSubset"/>, <see cref="WithTrafficPolicy"/>). Everything is validated, all at
/// once, before the app starts.
/// </summary>
public static class MeshTrafficBuilderExtensions
{
    /// <summary>Sets the service port (default 80), as a Kubernetes Service would expose it.</summary>
    /// <param name="service">The service.</param>
    /// <param name="port">A port from 1 to 65535.</param>
    public static IResourceBuilder<MeshServiceResource> WithPort(this IResourceBuilder<MeshServiceResource> service, int port)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        service.Resource.Port = port;
        return service;
    }

    /// <summary>
    /// Declares a subset (DestinationRule <c>subsets[]</c>): the service's endpoints whose
    /// workloads carry <paramref name="labels"/>; by default those labelled <c>version=&lt;name&gt;</c>.
    /// </summary>
    /// <param name="service">The service.</param>
    /// <param name="name">The subset's name, used by route destinations.</param>
    /// <param name="labels">The labels selecting the subset's endpoints.</param>
    /// <param name="trafficPolicy">A policy for traffic routed to this subset, overriding the service's.</param>
    /// <example>
    /// <code>
    /// reviews.WithSubset("v1").WithSubset("v2").WithSubset("v3");
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshServiceResource> WithSubset(
        this IResourceBuilder<MeshServiceResource> service,
        string name,
        IReadOnlyDictionary<string, string>? labels = null,
        TrafficPolicy? trafficPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var subset = new Subset(name, labels ?? new Dictionary<string, string> { ["version"] = name }) { TrafficPolicy = trafficPolicy };
        return service.WithAnnotation(new MeshSubsetAnnotation(subset), ResourceAnnotationMutationBehavior.Append);
    }

    /// <summary>Sets the service's traffic policy (DestinationRule <c>trafficPolicy</c>), e.g. its load balancer.</summary>
    /// <param name="service">The service.</param>
    /// <param name="policy">The policy.</param>
    /// <example>
    /// <code>
    /// reviews.WithTrafficPolicy(new TrafficPolicy
    /// {
    ///     LoadBalancer = new LoadBalancerSettings { ConsistentHash = new ConsistentHash { HttpHeaderName = "end-user" } },
    /// });
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshServiceResource> WithTrafficPolicy(this IResourceBuilder<MeshServiceResource> service, TrafficPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(policy);
        return service.WithAnnotation(new MeshTrafficPolicyAnnotation(policy), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Adds an HTTP route (VirtualService <c>http[]</c>). Routes are tried in the order they
    /// are added and the first whose match holds wins; a route without a match catches
    /// everything and belongs last. A request no route takes is answered 404.
    /// </summary>
    /// <param name="service">The service the routes apply to (the VirtualService's host).</param>
    /// <param name="route">The route.</param>
    /// <example>
    /// <code>
    /// reviews
    ///     .WithHttpRoute(new HttpRoute
    ///     {
    ///         Match = [new HttpMatchRequest { Headers = new Dictionary&lt;string, StringMatch&gt; { ["end-user"] = StringMatch.Exact("jason") } }],
    ///         Route = [new HttpRouteDestination(new Destination("reviews", "v2"))],
    ///     })
    ///     .WithHttpRoute(new HttpRoute { Route = [new HttpRouteDestination(new Destination("reviews", "v1"))] });
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshServiceResource> WithHttpRoute(this IResourceBuilder<MeshServiceResource> service, HttpRoute route)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(route);
        return service.WithAnnotation(new MeshHttpRouteAnnotation(route), ResourceAnnotationMutationBehavior.Append);
    }

    /// <summary>
    /// Adds a TCP route (VirtualService <c>tcp[]</c>) for a service whose port is TCP: tried in the
    /// order added for each new connection; the first whose match holds (port, the caller's labels)
    /// sends the connection to one of its weighted destinations.
    /// </summary>
    /// <param name="service">The service the routes apply to (the VirtualService's host).</param>
    /// <param name="route">The route.</param>
    /// <example>
    /// <code>
    /// cache.WithTcpRoute(new TcpRoute
    /// {
    ///     Route = [new RouteDestination(new Destination("redis-cache", "v1"), 90), new RouteDestination(new Destination("redis-cache", "v2"), 10)],
    /// });
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshServiceResource> WithTcpRoute(this IResourceBuilder<MeshServiceResource> service, TcpRoute route)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(route);
        return service.WithAnnotation(new MeshTcpRouteAnnotation(route), ResourceAnnotationMutationBehavior.Append);
    }

    /// <summary>Routes all of the service's traffic by weight over its subsets, e.g. 50/50 or 80/20.</summary>
    /// <param name="service">The service.</param>
    /// <param name="weights">Subset names and their relative weights.</param>
    /// <example>
    /// <code>
    /// reviews.WithWeightedRoute(("v1", 50), ("v3", 50));
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshServiceResource> WithWeightedRoute(
        this IResourceBuilder<MeshServiceResource> service, params (string Subset, int Weight)[] weights)
    {
        ArgumentNullException.ThrowIfNull(service);
        return service.WithHttpRoute(new HttpRoute
        {
            Route = [.. weights.Select(w => new HttpRouteDestination(new Destination(service.Resource.Name, w.Subset), w.Weight))],
        });
    }
}
