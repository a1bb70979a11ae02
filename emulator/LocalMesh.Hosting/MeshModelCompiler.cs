using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Kubernetes;

namespace Aspire.Hosting;

/// <summary>The mesh compiled from the app model: the data plane's configuration and the calls to rewire.</summary>
/// <param name="Config">The data plane's configuration.</param>
/// <param name="Workloads">Each workload resource with its configuration.</param>
/// <param name="Calls">Each call from a workload to a mesh service, carried by an outbound listener.</param>
/// <param name="Notices">Where the emulator cannot do exactly what Istio would, to say at start-up.</param>
internal sealed record CompiledMesh(
    MeshConfig Config,
    ImmutableArray<(IResource Resource, WorkloadConfig Workload)> Workloads,
    ImmutableArray<(IResource Caller, MeshServiceResource Service, ListenerConfig Listener)> Calls,
    IReadOnlyList<string> Notices);

/// <summary>
/// Turns the app model into a <see cref="MeshConfig"/>, validating all of it first and reporting
/// every problem at once.
/// </summary>
internal static class MeshModelCompiler
{
    public const string AppLabel = "app";
    public const string VersionLabel = "version";

    public static CompiledMesh Compile(DistributedApplicationModel model, MeshResource mesh)
    {
        var errors = new List<MeshModelError>();
        var services = model.Resources.OfType<MeshServiceResource>().Where(service => service.Parent == mesh).ToList();
        var gateways = model.Resources.OfType<IngressGatewayResource>().Where(gateway => gateway.Parent == mesh).ToList();

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
                ValidateLabel(resource.Name, key, value, errors);
            }

            workloads.Add((resource, new WorkloadConfig(
                resource.Name,
                annotation.Service.Name,
                annotation.Labels,
                annotation.ServiceAccount ?? resource.Name,
                resource.GetReplicaCount())));
        }

        foreach (var service in services.Where(service => workloads.All(w => w.Workload.Service != service.Name)))
        {
            errors.Add(new(service.Name, "workloads", "has no workload, so every call to it would fail with 503 (no healthy upstream).",
                $"add one with {service.Name}.WithWorkload(builder.AddProject<...>(\"{service.Name}-v1\"))."));
        }

        foreach (var gateway in gateways.Where(gateway => !gateway.Annotations.OfType<IngressRouteAnnotation>().Any()))
        {
            errors.Add(new(gateway.Name, "route", "sends its traffic nowhere.", $"call {gateway.Name}.WithRoute(service) with the service to expose."));
        }

        var calls = (
            from caller in model.Resources
            from relationship in caller.Annotations.OfType<ResourceRelationshipAnnotation>()
            where relationship.Resource is MeshServiceResource service && service.Parent == mesh
            let service = (MeshServiceResource)relationship.Resource
            // Callers outside the mesh keep the service's own address (a caller without a sidecar).
            where caller.Annotations.OfType<MeshWorkloadAnnotation>().Any()
            select (caller, service, ListenerConfig.Outbound(caller.Name, service.Name)))
            .DistinctBy(call => call.Item3.Name)
            .ToImmutableArray();

        var listeners = ImmutableArray.CreateBuilder<ListenerConfig>();
        listeners.AddRange(workloads.SelectMany(w => Enumerable.Range(0, w.Workload.Replicas).Select(replica => ListenerConfig.Inbound(w.Workload.Name, replica))));
        listeners.AddRange(calls.Select(call => call.Item3));
        listeners.AddRange(services.Select(service => ListenerConfig.ForService(service.Name)));
        foreach (var gateway in gateways)
        {
            if (gateway.Annotations.OfType<IngressRouteAnnotation>().LastOrDefault() is { } route)
            {
                listeners.Add(ListenerConfig.Ingress(gateway.Name, gateway.Annotations.OfType<EndpointAnnotation>().Single().Port ?? 0, route.Service.Name));
            }
        }


        var config = new MeshConfig
        {
            Namespace = mesh.Namespace,
            Services = [.. services.Select(ServiceConfig)],
            Workloads = [.. workloads.Select(w => w.Workload)],
            Listeners = listeners.ToImmutable(),
            PeerAuthentications = [.. mesh.Annotations.OfType<MeshPeerAuthenticationAnnotation>().Select(annotation => annotation.Policy)],
            AuthorizationPolicies = [.. mesh.Annotations.OfType<MeshAuthorizationPolicyAnnotation>().Select(annotation => annotation.Policy)],
        };

        // The traffic rules are checked by the data plane's own validator, the one runtime changes go through too.
        var validation = MeshConfigValidator.Validate(config);
        errors.AddRange(validation.Errors.Select(error => new MeshModelError(error.Resource, error.Field, error.Problem, error.Fix)));
        if (errors.Count > 0)
        {
            throw new MeshModelException(errors);
        }

        return new CompiledMesh(config, [.. workloads], calls, validation.Notices);
    }

    private static MeshServiceConfig ServiceConfig(MeshServiceResource service)
    {
        var subsets = service.Annotations.OfType<MeshSubsetAnnotation>().Select(annotation => annotation.Subset).ToList();
        var policy = service.Annotations.OfType<MeshTrafficPolicyAnnotation>().LastOrDefault()?.Policy;
        return new MeshServiceConfig(service.Name)
        {
            Port = service.Port,
            Http = [.. service.Annotations.OfType<MeshHttpRouteAnnotation>().Select(annotation => annotation.Route)],
            DestinationRule = subsets.Count == 0 && policy is null ? null : new DestinationRule { Subsets = subsets, TrafficPolicy = policy },
        };
    }

    private static void ValidateLabel(string resource, string key, string value, List<MeshModelError> errors)
    {
        if (!KubernetesNames.IsValidLabelKey(key))
        {
            errors.Add(new(resource, $"labels[{key}]", "is not a valid Kubernetes label key.", $"use {KubernetesNames.LabelKeyRule}."));
        }

        if (!KubernetesNames.IsValidLabelValue(value))
        {
            errors.Add(new(resource, $"labels[{key}]", $"value '{value}' is not a valid Kubernetes label value.", $"use {KubernetesNames.LabelValueRule}."));
        }
    }
}
