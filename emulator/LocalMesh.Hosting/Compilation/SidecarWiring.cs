using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Hosting;

/// <summary>
/// Connects the app model to the data plane's listeners: the resources the mesh serves get the
/// listeners' ports as their endpoints, and callers get their own outbound sidecar in place of
/// the service they reference.
/// </summary>
internal static class SidecarWiring
{
    /// <summary>Mesh services, brokers and gateways are served by the mesh's listeners, so the mesh allocates their endpoints.</summary>
    public static void AllocateEndpoints(DistributedApplicationModel model, MeshServer server)
    {
        foreach (var resource in model.Resources)
        {
            var listener = resource switch
            {
                IMeshServiceResource service => ListenerConfig.ForService(service.Name).Name,
                BrokerResource broker => ListenerConfig.ForBroker(broker.Name).Name,
                IngressGatewayResource gateway => ListenerConfig.IngressName(gateway.Name),
                _ => null,
            };
            if (listener is null)
            {
                continue;
            }

            var endpoint = resource.Annotations.OfType<EndpointAnnotation>().Single();
            endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "localhost", server.Addresses[listener].Port);
        }
    }

    /// <summary>
    /// Rewrites the caller's references to <paramref name="callee"/> (a mesh service, or an
    /// injected resource) to its own outbound sidecar. Runs after <c>WithReference</c> wrote them,
    /// so any HTTP client works unchanged and the caller's identity is the listener it uses. As in
    /// Istio, the application speaks plaintext to its sidecar: a reference to the callee's HTTPS
    /// endpoint is the sidecar too, and service discovery's <c>https</c> entries are dropped so
    /// <c>https+http://</c> settles on the sidecar's <c>http</c> one (unless the callee serves
    /// HTTPS only: then they are the sidecar's address).
    /// </summary>
    public static void RouteThroughSidecar(IResource caller, IResource callee, Uri sidecar)
    {
        var servesHttp = ServesHttp(callee);
        caller.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
        {
            foreach (var (name, value) in context.EnvironmentVariables.ToList())
            {
                if (SidecarValue(value, callee, sidecar) is not { } rewritten)
                {
                    continue;
                }

                if (servesHttp && name.StartsWith(ServiceDiscoveryPrefix, StringComparison.Ordinal) && Endpoint(value)?.Scheme == "https")
                {
                    context.EnvironmentVariables.Remove(name);
                }
                else
                {
                    context.EnvironmentVariables[name] = rewritten;
                }
            }
        }));
    }

    /// <summary>
    /// Points <paramref name="workload"/>'s calls to hosts outside the mesh at its egress listener,
    /// as Istio's traffic capture sends them through the sidecar: <c>HTTP_PROXY</c> and
    /// <c>HTTPS_PROXY</c> (and the lower-case names other runtimes read), which .NET's
    /// <c>HttpClient</c> honours, with loopback left direct (<c>NO_PROXY</c>): the app's own
    /// sidecars, the dashboard's telemetry endpoint and local tools are reached as before.
    /// </summary>
    public static void UseEgressProxy(IResource workload, Uri proxy) =>
        workload.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
        {
            foreach (var (name, value) in EgressProxyEnvironment(proxy))
            {
                context.EnvironmentVariables[name] = value;
            }
        }));

    /// <summary>The HTTP proxy this machine's own environment names (<c>HTTPS_PROXY</c>, <c>HTTP_PROXY</c>, either case), which the workloads would inherit; null for none.</summary>
    public static string? MachineProxy() => new[] { "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy" }
        .Select(Environment.GetEnvironmentVariable)
        .FirstOrDefault(value => !string.IsNullOrWhiteSpace(value));

    /// <summary>The variables that point a process's HTTP clients at <paramref name="proxy"/> for every host but loopback.</summary>
    public static IEnumerable<KeyValuePair<string, string>> EgressProxyEnvironment(Uri proxy)
    {
        var address = proxy.ToString().TrimEnd('/');
        foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy" })
        {
            yield return new(name, address);
        }

        foreach (var name in new[] { "NO_PROXY", "no_proxy" })
        {
            yield return new(name, "localhost,127.0.0.1,::1");
        }
    }

    /// <summary>
    /// The dashboard's link to <paramref name="resource"/>'s external endpoints is the ingress
    /// gateway's port for it, so a person opening it enters through the mesh; the direct addresses
    /// stay on the resource's details, said to bypass the mesh.
    /// </summary>
    public static void ShowThroughGateway(IResource resource, Uri gateway)
    {
        resource.Annotations.Add(new ResourceUrlsCallbackAnnotation(context =>
        {
            foreach (var url in context.Urls.Where(url => url.Endpoint?.EndpointAnnotation.IsExternal == true))
            {
                url.DisplayLocation = UrlDisplayLocation.DetailsOnly;
                url.DisplayText = $"{url.Endpoint!.EndpointName} (direct, bypasses the mesh)";
            }

            var address = gateway.ToString().TrimEnd('/');
            context.Urls.Add(new ResourceUrlAnnotation { Url = address, DisplayText = $"{address} (ingress gateway)" });
        }));
    }

    /// <summary>Whether the callee has an HTTP endpoint; one that serves HTTPS only keeps its https entries, which name the sidecar's plaintext address.</summary>
    public static bool ServesHttp(IResource callee) =>
        callee.Annotations.OfType<EndpointAnnotation>().Any(endpoint => endpoint.UriScheme == Uri.UriSchemeHttp);

    /// <summary>Where Aspire writes service discovery's endpoints: <c>services__&lt;name&gt;__&lt;endpoint&gt;__&lt;n&gt;</c>.</summary>
    public const string ServiceDiscoveryPrefix = "services__";

    /// <summary>The endpoint <paramref name="value"/> refers to: an endpoint, one of its properties, or an expression of nothing but it.</summary>
    public static EndpointReference? Endpoint(object value) => value switch
    {
        EndpointReference endpoint => endpoint,
        EndpointReferenceExpression expression => expression.Endpoint,
        ReferenceExpression expression when expression.ValueProviders.Count == 1 && expression.Format == "{0}" => Endpoint(expression.ValueProviders[0]),
        _ => null,
    };

    /// <summary>
    /// Whether the sidecars carry what goes to <paramref name="endpoint"/>: HTTP, over plaintext or
    /// TLS, to a callee whose port is HTTP; TCP to a callee whose port is TCP (a TCP mesh service's
    /// one endpoint is TCP, so the same test holds for mesh services and injected resources).
    /// </summary>
    private static bool IsCarried(EndpointReference endpoint) => MeshModelCompiler.IsHttp(endpoint.EndpointAnnotation)
        || (endpoint.EndpointAnnotation.Protocol == System.Net.Sockets.ProtocolType.Tcp
            && MeshModelCompiler.ProtocolOf(endpoint.Resource) == LocalMesh.Emulator.Configuration.ServiceProtocol.Tcp);

    /// <summary>The sidecar's address in the endpoint's own scheme (<c>tcp://127.0.0.1:port</c> for a TCP port).</summary>
    private static string Address(EndpointReference endpoint, Uri sidecar) => MeshModelCompiler.IsHttp(endpoint.EndpointAnnotation)
        ? sidecar.ToString().TrimEnd('/')
        : $"{endpoint.EndpointAnnotation.UriScheme}://{sidecar.Host}:{sidecar.Port}";

    private static string? SidecarValue(object value, IResource callee, Uri sidecar) => value switch
    {
        EndpointReference endpoint when endpoint.Resource == callee && IsCarried(endpoint) => Address(endpoint, sidecar),
        EndpointReferenceExpression expression when expression.Endpoint.Resource == callee && IsCarried(expression.Endpoint) => expression.Property switch
        {
            EndpointProperty.Host or EndpointProperty.IPV4Host => sidecar.Host,
            EndpointProperty.Port or EndpointProperty.TargetPort => sidecar.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            EndpointProperty.Scheme => MeshModelCompiler.IsHttp(expression.Endpoint.EndpointAnnotation) ? sidecar.Scheme : expression.Endpoint.EndpointAnnotation.UriScheme,
            EndpointProperty.HostAndPort => $"{sidecar.Host}:{sidecar.Port}",
            _ => Address(expression.Endpoint, sidecar),
        },
        // An expression made of nothing but the callee's endpoint properties and text (a connection string such as "{host}:{port}").
        ReferenceExpression expression when expression.ValueProviders.Count > 0
            && expression.ValueProviders.Select(provider => SidecarValue(provider, callee, sidecar)).ToList() is var parts && parts.All(part => part is not null) =>
            string.Format(System.Globalization.CultureInfo.InvariantCulture, expression.Format, [.. parts]),
        _ => null,
    };
}
