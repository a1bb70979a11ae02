using System.Collections.Immutable;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Kubernetes;

namespace LocalMesh.Hosting;

/// <summary>
/// Istio's sidecar injection for the app model (<see cref="MeshInjectionBuilderExtensions.WithAutomaticSidecars"/>):
/// every project and executable with an HTTP endpoint, unless it opted out or is already a
/// workload of an <c>AddService</c>, becomes the workload of a mesh service of its own name.
/// </summary>
internal static class MeshInjection
{
    /// <summary>The injected resources with their workloads; problems go to <paramref name="errors"/>, what is left out to <paramref name="warnings"/>.</summary>
    public static List<(IResource Resource, WorkloadConfig Workload)> Inject(
        DistributedApplicationModel model, MeshResource mesh, List<ConfigError> errors, List<string> warnings)
    {
        var enabled = mesh.Annotations.OfType<MeshAutomaticSidecarsAnnotation>().Any();
        var injected = new List<(IResource, WorkloadConfig)>();
        foreach (var resource in model.Resources.Where(resource => resource is not IResourceWithParent<MeshResource>))
        {
            var settings = resource.Annotations.OfType<MeshInjectionAnnotation>().LastOrDefault();
            var explicitWorkload = resource.Annotations.OfType<MeshWorkloadAnnotation>().Any();
            var excluded = resource.Annotations.OfType<MeshSidecarExcludedAnnotation>().Any();
            if (explicitWorkload && excluded)
            {
                errors.Add(new(resource.Name, "WithoutSidecar", "is a workload of a mesh service (WithWorkload), which gives it a sidecar.",
                    "remove WithoutSidecar, or remove it from the service's WithWorkload."));
                continue;
            }

            var injectable = enabled && !explicitWorkload && !excluded && IsCandidate(resource);
            if (settings is not null && !injectable)
            {
                errors.Add(new(resource.Name, "WithMeshVersion", explicitWorkload
                        ? "is set on a workload of a mesh service, whose labels WithWorkload gives."
                        : "is set on a resource the mesh does not inject (no WithAutomaticSidecars on the mesh, WithoutSidecar, or no HTTP endpoint).",
                    explicitWorkload ? "give the version and labels with WithWorkload(..., version, labels)." : "call WithAutomaticSidecars() on the mesh, or remove WithMeshVersion and WithMeshLabels."));
                continue;
            }

            if (!injectable)
            {
                continue;
            }

            if (!KubernetesNames.IsValidDnsLabel(resource.Name))
            {
                errors.Add(new(resource.Name, "name", "is not a valid Kubernetes name, which its mesh service (and the export's Service) would have.",
                    $"name the resource with {KubernetesNames.DnsLabelRule}, or keep it out with WithoutSidecar()."));
                continue;
            }

            var labels = (settings?.Labels ?? ImmutableDictionary<string, string>.Empty)
                .SetItem(MeshModelCompiler.AppLabel, resource.Name)
                .SetItem(MeshModelCompiler.VersionLabel, settings?.Version ?? "v1");
            foreach (var (key, value) in labels)
            {
                MeshModelCompiler.ValidateLabel(resource.Name, key, value, errors);
            }

            injected.Add((resource, new WorkloadConfig(resource.Name, resource.Name, labels, resource.Name, resource.GetReplicaCount())));
        }

        return injected;
    }

    /// <summary>The resources the mesh injects, for what needs them before the mesh is compiled (the dashboard's commands).</summary>
    public static IEnumerable<IResource> Injectable(DistributedApplicationModel model, MeshResource mesh) =>
        Inject(model, mesh, [], []).Select(injected => injected.Resource);

    /// <summary>The name Aspire gives its own dashboard, which it adds to the model as the app starts.</summary>
    private const string AspireDashboard = "aspire-dashboard";

    /// <summary>
    /// What Istio would inject: a project or an executable (a pod of the app) with an endpoint (HTTP,
    /// HTTPS or TCP); not what exists only for the local run and never deploys (Aspire's dashboard,
    /// hidden resources).
    /// </summary>
    private static bool IsCandidate(IResource resource) =>
        resource is ProjectResource or ExecutableResource
        && resource.Name != AspireDashboard
        && !resource.IsExcludedFromPublish()
        && !resource.Annotations.OfType<ResourceSnapshotAnnotation>().Any(snapshot => snapshot.InitialSnapshot.IsHidden)
        && resource.Annotations.OfType<EndpointAnnotation>().Any(endpoint => MeshModelCompiler.IsHttp(endpoint) || endpoint.Protocol == System.Net.Sockets.ProtocolType.Tcp);
}
