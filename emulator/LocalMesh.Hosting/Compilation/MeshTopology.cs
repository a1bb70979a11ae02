using System.Collections.Immutable;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Hosting;

/// <summary>
/// What is fixed for a run of the app: the mesh's resources, its workloads (declared and
/// injected), the calls between them, what the ingress gateway exposes, and the protocol of each
/// service. The first step of <see cref="MeshModelCompiler"/>, read once when the app starts; the
/// rules (routes, policies, faults, scaling) are compiled against it, again whenever a saved file
/// changes them, and it stays as it is.
/// </summary>
/// <param name="Mesh">The mesh.</param>
/// <param name="Services">The mesh's services (<c>AddService</c>).</param>
/// <param name="Gateways">The mesh's ingress gateways.</param>
/// <param name="Functions">The mesh's functions.</param>
/// <param name="Brokers">The mesh's brokers.</param>
/// <param name="Workloads">Each workload resource with its configuration.</param>
/// <param name="Calls">Each call from a workload to a mesh service (or an injected resource, whose service has its name), carried by an outbound listener.</param>
/// <param name="Injected">The resources the mesh injected (<c>WithAutomaticSidecars</c>): each is the workload of a service of its own name.</param>
/// <param name="Exposed">The injected resources with an external HTTP endpoint, each with the ingress gateway's port that exposes it.</param>
/// <param name="Protocols">The protocol of each service, declared or injected, by name.</param>
internal sealed record MeshTopology(
    MeshResource Mesh,
    IReadOnlyList<MeshServiceResource> Services,
    IReadOnlyList<IngressGatewayResource> Gateways,
    IReadOnlyList<FunctionResource> Functions,
    IReadOnlyList<BrokerResource> Brokers,
    ImmutableArray<(IResource Resource, WorkloadConfig Workload)> Workloads,
    ImmutableArray<(IResource Caller, IResource Callee, ListenerConfig Listener)> Calls,
    IReadOnlySet<IResource> Injected,
    ImmutableArray<(IResource Resource, ListenerConfig Listener)> Exposed,
    IReadOnlyDictionary<string, ServiceProtocol> Protocols)
{
    /// <summary>The relationship type Aspire's <c>WithReference</c> records.</summary>
    private const string ReferenceRelationship = "Reference";

    /// <summary>Reads the topology of <paramref name="mesh"/> from <paramref name="model"/>; problems go to <paramref name="errors"/>, what is left out of the mesh to <paramref name="warnings"/>.</summary>
    public static MeshTopology Read(DistributedApplicationModel model, MeshResource mesh, List<ConfigError> errors, List<string> warnings)
    {
        var services = model.Resources.OfType<MeshServiceResource>().Where(service => service.Parent == mesh).ToList();
        foreach (var duplicate in mesh.Annotations.OfType<MeshDuplicateNameAnnotation>())
        {
            errors.Add(new(duplicate.Name, "name", $"is asked for a {duplicate.ResourceType}, but {duplicate.Existing} already has it (resource names are unique, whatever their case).",
                $"give the {duplicate.ResourceType} its own name, or remove the second Add call."));
        }

        var workloads = DeclaredWorkloads(model, errors);
        var injected = MeshInjection.Inject(model, mesh, errors, warnings);
        workloads.AddRange(injected);
        foreach (var service in services.Where(service => workloads.All(w => w.Workload.Service != service.Name)))
        {
            errors.Add(new(service.Name, "workloads", "has no workload, so every call to it would fail with 503 (no healthy upstream).",
                $"add one with {service.Name}.WithWorkload(builder.AddProject<...>(\"{service.Name}-v1\"))."));
        }

        // A reference is a call through the mesh when the caller has a sidecar and the callee is a
        // mesh service (or function, or broker) or an injected resource (its service has its name).
        var meshed = workloads.Select(w => w.Resource).ToHashSet();
        var injectedResources = injected.Select(w => w.Resource).ToHashSet();
        var references = (
            from caller in model.Resources
            where meshed.Contains(caller)
            from relationship in caller.Annotations.OfType<ResourceRelationshipAnnotation>()
            // WithReference writes a "Reference"; a workload's link to its own service is not a call.
            where relationship.Type == ReferenceRelationship && relationship.Resource != caller
            select (Caller: caller, Callee: relationship.Resource)).ToList();
        var calls = references
            .Where(reference => (reference.Callee is IMeshServiceResource service && service.Parent == mesh) || injectedResources.Contains(reference.Callee))
            .Select(reference => (reference.Caller, reference.Callee, ListenerConfig.Outbound(reference.Caller.Name, reference.Callee.Name)))
            .DistinctBy(call => call.Item3.Name)
            .ToImmutableArray();

        // The sidecars carry HTTP: a callee's other endpoints (TCP, a custom scheme) stay direct, said once per callee.
        foreach (var callee in calls.Select(call => call.Item2).Distinct().Where(injectedResources.Contains))
        {
            if (MeshModelCompiler.ProtocolOf(callee) == ServiceProtocol.Tcp)
            {
                continue;
            }

            foreach (var endpoint in callee.Annotations.OfType<EndpointAnnotation>().Where(endpoint => !MeshModelCompiler.IsHttp(endpoint)))
            {
                warnings.Add($"{callee.Name}: endpoint '{endpoint.Name}' ({endpoint.UriScheme}) is not carried by the mesh (a service has one port, and {callee.Name}'s is HTTP); references to it stay direct.");
            }
        }

        // What a meshed caller references that the mesh does not carry goes direct: said once, not silently bypassed.
        foreach (var (caller, callee) in references.Where(reference =>
            reference.Callee is IResourceWithEndpoints and not IResourceWithParent<MeshResource> && !meshed.Contains(reference.Callee)))
        {
            var reason = callee.Annotations.OfType<MeshSidecarExcludedAnnotation>().Any() ? "WithoutSidecar"
                : callee is ProjectResource or ExecutableResource ? "not a workload; WithAutomaticSidecars() or WithWorkload would mesh it"
                : "only projects and executables get sidecars";
            warnings.Add($"{caller.Name} → {callee.Name}: direct, not through the mesh ({callee.Name} has no sidecar: {reason}).");
        }

        // Istio's ingress gateway fronts what the app exposes: each injected resource with an
        // external HTTP endpoint gets a gateway port of its own, so the browser's first hop is in the mesh.
        var exposed = injected
            .Where(w => w.Resource.Annotations.OfType<EndpointAnnotation>().Any(endpoint => endpoint.IsExternal && endpoint.UriScheme is "http" or "https"))
            .Select(w => (w.Resource, ListenerConfig.Exposing(MeshConfig.IstioIngressGateway, w.Resource.Name)))
            .ToImmutableArray();

        var protocols = services.ToDictionary(service => service.Name, service => ServiceProtocolOf(service, workloads, errors), StringComparer.Ordinal);
        foreach (var (resource, _) in injected)
        {
            protocols[resource.Name] = MeshModelCompiler.ProtocolOf(resource);
        }

        return new MeshTopology(
            mesh,
            services,
            [.. model.Resources.OfType<IngressGatewayResource>().Where(gateway => gateway.Parent == mesh)],
            [.. model.Resources.OfType<FunctionResource>().Where(function => function.Parent == mesh)],
            [.. model.Resources.OfType<BrokerResource>().Where(broker => broker.Parent == mesh)],
            [.. workloads],
            calls,
            injectedResources,
            exposed,
            protocols);
    }

    /// <summary>The workloads the app model declares (<c>WithWorkload</c>).</summary>
    private static List<(IResource Resource, WorkloadConfig Workload)> DeclaredWorkloads(DistributedApplicationModel model, List<ConfigError> errors)
    {
        var workloads = new List<(IResource Resource, WorkloadConfig Workload)>();
        foreach (var resource in model.Resources)
        {
            var annotations = resource.Annotations.OfType<MeshWorkloadAnnotation>().ToList();
            if (annotations.Count == 0)
            {
                continue;
            }

            if (annotations.Count > 1)
            {
                errors.Add(new(resource.Name, "WithWorkload",
                    $"is a workload of {annotations.Count} services ({string.Join(", ", annotations.Select(a => a.Service.Name))}).",
                    "a workload serves one service; add a second project resource for the other service."));
            }

            var annotation = annotations[0];
            foreach (var (key, value) in annotation.Labels)
            {
                MeshModelCompiler.ValidateLabel(resource.Name, key, value, errors);
            }

            workloads.Add((resource, new WorkloadConfig(
                resource.Name,
                annotation.Service.Name,
                annotation.Labels,
                annotation.ServiceAccount ?? resource.Name,
                resource.GetReplicaCount())));
        }

        return workloads;
    }

    /// <summary>A service's protocol is its workloads': they serve one port, so they must agree.</summary>
    private static ServiceProtocol ServiceProtocolOf(MeshServiceResource service, IEnumerable<(IResource Resource, WorkloadConfig Workload)> workloads, List<ConfigError> errors)
    {
        var protocols = workloads.Where(w => w.Workload.Service == service.Name)
            .Select(w => (w.Resource.Name, Protocol: MeshModelCompiler.ProtocolOf(w.Resource)))
            .ToList();
        if (protocols.Select(p => p.Protocol).Distinct().Count() > 1)
        {
            errors.Add(new(service.Name, "workloads", $"serve different protocols ({string.Join(", ", protocols.Select(p => $"{p.Name}: {p.Protocol}"))}), and a service port has one.",
                "give every workload's endpoint the same name and transport (e.g. all .AsHttp2Service(), or an endpoint named 'grpc' on each)."));
        }

        return protocols.Count > 0 ? protocols[0].Protocol : ServiceProtocol.Http;
    }
}
