using LocalMesh.Emulator.Configuration;
using System.Collections.Immutable;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Kubernetes;
using LocalMesh.Kubernetes.Export;
using Microsoft.Extensions.Hosting;

namespace LocalMesh.Hosting;

/// <summary>
/// The app model as the Kubernetes export reads it: the mesh compiled exactly as the emulator
/// runs it, each workload's environment with references rewritten to cluster DNS names, images
/// for projects, and a warning for everything that has no place in a cluster.
/// </summary>
internal static class KubernetesModelBuilder
{
    /// <summary>Variables Aspire sets for the local run only (the dashboard's OTLP, the local port).</summary>
    private static readonly string[] LocalOnlyPrefixes = ["OTEL_", "ASPNETCORE_URLS", "DOTNET_LAUNCH_PROFILE"];

    /// <summary>Set by Knative itself; a revision may not set them.</summary>
    private static readonly string[] KnativeReserved = ["PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"];

    public static async Task<KubernetesAppModel> BuildAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var mesh = model.Resources.OfType<MeshResource>().Single();
        var compiled = MeshModelCompiler.Compile(model, mesh);
        // Resources injected automatically are their own services; a reference to one is its cluster name too.
        var injected = compiled.Injected;
        var warnings = new List<string>();
        var workloads = new List<WorkloadSpec>();
        foreach (var (resource, workload) in compiled.Workloads)
        {
            if (Image(resource, mesh) is not { } image)
            {
                warnings.Add($"{resource.Name}: an executable runs only locally; it has no image, so it is not exported (model it as a project or a container to deploy it).");
                continue;
            }

            var labels = workload.Labels;
            // A stand-in for an image (WithKubernetesImage) exports as the image: its own port, none of the stand-in's environment.
            var substitute = resource.Annotations.OfType<KubernetesImageAnnotation>().LastOrDefault();
            workloads.Add(new WorkloadSpec(workload.Name, workload.Service!, image)
            {
                Labels = labels,
                ServiceAccount = workload.ServiceAccount,
                Replicas = workload.Replicas,
                ContainerPort = substitute?.ContainerPort ?? WorkloadSpec.DefaultContainerPort,
                Protocol = compiled.Config.Services.First(service => service.Name == workload.Service).Protocol,
                Environment = substitute is null ? [.. await EnvironmentAsync(resource, injected, mesh, executionContext, warnings, cancellationToken)] : [],
                ConfigByEnvironment = Overlays(resource),
                Resources = resource.Annotations.OfType<KubernetesResourcesAnnotation>().LastOrDefault()?.Resources ?? ContainerResources.Default,
                // ServiceDefaults' endpoints, for workloads with an HTTP health check.
                LivenessPath = resource.Annotations.OfType<HealthCheckAnnotation>().Any() ? WorkloadSpec.ServiceDefaultsLivenessPath : null,
                ReadinessPath = resource.Annotations.OfType<HealthCheckAnnotation>().Any() ? WorkloadSpec.ServiceDefaultsReadinessPath : null,
                ApiAccess = [.. resource.Annotations.OfType<KubernetesApiAccessAnnotation>().Select(annotation => annotation.Rule)],
            });
        }

        var functions = new List<FunctionSpec>();
        foreach (var function in model.Resources.OfType<FunctionResource>().Where(function => function.Parent == mesh))
        {
            var environment = await EnvironmentAsync(function, injected, mesh, executionContext, warnings, cancellationToken);
            foreach (var reserved in environment.Where(variable => KnativeReserved.Contains(variable.Key)))
            {
                warnings.Add($"{function.Name}: {reserved.Key} is set by Knative itself; the model's value is not exported.");
            }

            var scaling = compiled.Config.Workloads.First(workload => workload.Service == function.Name).Scaling!;
            if (scaling.MaxQueuedRequests != LocalMesh.Emulator.Configuration.FunctionScaling.DefaultMaxQueuedRequests
                || scaling.ActivationTimeout != LocalMesh.Emulator.Configuration.FunctionScaling.DefaultActivationTimeout)
            {
                warnings.Add($"{function.Name}: MaxQueuedRequests and ActivationTimeout are local activator settings; Knative's activator has its own (not exported).");
            }

            functions.Add(new FunctionSpec(function.Name, ProjectImage(function.Project.ProjectPath, mesh))
            {
                Environment = [.. environment.Where(variable => !KnativeReserved.Contains(variable.Key))],
                Revisions = [.. function.Annotations.OfType<FunctionRevisionAnnotation>().Select(revision => new FunctionRevisionSpec(revision.Name, revision.Environment))],
                Scaling = scaling,
                Traffic = compiled.FunctionTraffic[function.Name],
                Resources = function.Annotations.OfType<KubernetesResourcesAnnotation>().LastOrDefault()?.Resources ?? ContainerResources.Default,
            });
        }

        var gateways = model.Resources.OfType<IngressGatewayResource>()
            .Where(gateway => gateway.Parent == mesh && gateway.Annotations.OfType<IngressRouteAnnotation>().Any())
            .Select(gateway => new GatewaySpec(gateway.Name, gateway.Annotations.OfType<EndpointAnnotation>().Single().Port ?? 0, gateway.Annotations.OfType<IngressRouteAnnotation>().Last().Service.Name))
            .ToList();
        // An external endpoint the ingress gateway serves locally is served by Istio's in the cluster: a
        // Gateway on its port 80 and a VirtualService to the resource's service, as for a gateway of the model.
        // Locally each gets a gateway port of its own; Istio's gateway serves one port 80 for all of
        // them, so with several (or beside a gateway of the model) each is served on a host of its own.
        var exposed = compiled.Exposed.Select(entry => entry.Resource.Name).ToList();
        if (exposed.Count == 1 && gateways.Count == 0)
        {
            gateways.Add(new GatewaySpec($"{exposed[0]}-gateway", 80, exposed[0]));
        }
        else if (exposed.Count > 0)
        {
            var domain = mesh.Annotations.OfType<MeshIngressDomainAnnotation>().LastOrDefault()?.Domain ?? MeshBuilderExtensions.DefaultIngressDomain;
            gateways.AddRange(exposed.Select(name => new GatewaySpec($"{name}-gateway", 80, name) { Host = $"{name}.{domain}" }));
            warnings.Add($"The external endpoints are served in the cluster by Istio's ingress gateway on port 80, each on a host of its own: {string.Join(", ", exposed.Select(name => $"{name}.{domain}"))} (the domain is set with WithIngressDomain).");
        }

        foreach (var resource in model.Resources.Where(resource => !injected.Contains(resource) && IsOutsideTheMesh(resource, mesh)))
        {
            warnings.Add($"{resource.Name}: not part of the mesh (no service, function or broker holds it), so it is not exported.");
        }

        warnings.AddRange(compiled.Notices.Select(notice => $"differs locally from {notice.System}: {notice.Text}"));
        // A host's DestinationRule split over several files is exported as the files have it; istiod merges it again.
        var split = compiled.ImportedRules.Where(pair => !pair.Value.MergedFrom.IsEmpty).ToList();
        return new KubernetesAppModel(ApplicationName(executionContext), compiled.Config)
        {
            Workloads = [.. workloads],
            Functions = [.. functions],
            Gateways = [.. gateways],
            GitOps = mesh.Annotations.OfType<GitOpsAnnotation>().LastOrDefault()?.Source,
            Platform = mesh.Annotations.OfType<MeshPlatformAnnotation>().LastOrDefault()?.Components ?? PlatformComponents.All,
            ErrorRateAlert = compiled.AlertRules.ErrorRate,
            Warnings = [.. warnings],
            Carried = [.. compiled.Carried.Concat(split.SelectMany(pair => pair.Value.PoliciesFrom.Select(policy => policy.Document))).Select(document => new CarriedObject(
                document.ApiVersion, document.Kind, document.Namespace ?? mesh.Namespace, document.Name, document.Text, document.Location.ToString()))],
            SplitDestinationRules = [.. split.Select(pair => pair.Key)],
            // The team's HTTPRoutes are carried as written; the routes and version subsets made of them are not written again.
            GatewayApi = mesh.Annotations.OfType<MeshGatewayApiExportAnnotation>().Any(),
            GatewayApiRoutes = [.. compiled.GatewayApiServices.Keys],
            GatewayApiGateways = [.. compiled.GatewayApiGateways],
            GatewayApiSubsets = [.. compiled.GatewayApiServices.SelectMany(pair => pair.Value.Select(subset => $"{pair.Key}/{subset.Name}"))],
            // Set in the files, the mode travels in the team's own Sidecar, which is carried.
            ServiceEntries = [.. mesh.Annotations.OfType<MeshServiceEntryAnnotation>().Select(annotation => annotation.Entry)],
            RegistryOnly = mesh.Annotations.OfType<MeshOutboundTrafficPolicyAnnotation>().LastOrDefault()?.Mode == OutboundTrafficPolicyMode.RegistryOnly,
        };
    }

    private static string ApplicationName(DistributedApplicationExecutionContext executionContext)
    {
        var name = executionContext.Services.GetService(typeof(IHostEnvironment)) is IHostEnvironment host ? host.ApplicationName : "app";
        var label = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]).Trim('-');
        return KubernetesNames.IsValidDnsLabel(label) ? label : "app";
    }

    private static bool IsOutsideTheMesh(IResource resource, MeshResource mesh) => resource switch
    {
        MeshResource or IResourceWithParent<MeshResource> => false,
        ParameterResource => false,
        _ when resource.Annotations.OfType<MeshWorkloadAnnotation>().Any() => false,
        // Aspire's own, and resources that only exist for the local run.
        _ when resource.GetType().Namespace?.StartsWith("Aspire.Hosting.Dashboard", StringComparison.Ordinal) == true => false,
        _ => resource is ProjectResource or ContainerResource or ExecutableResource,
    };

    private static ImmutableDictionary<string, ImmutableDictionary<string, string>> Overlays(IResource resource) =>
        resource.Annotations.OfType<EnvironmentOverlayAnnotation>()
            .GroupBy(annotation => annotation.Environment)
            .ToImmutableDictionary(group => group.Key, group => group.ToImmutableDictionary(annotation => annotation.Name, annotation => annotation.Value));

    private static string? Image(IResource resource, MeshResource mesh) => resource switch
    {
        _ when resource.Annotations.OfType<KubernetesImageAnnotation>().LastOrDefault() is { } substitute => substitute.Image,
        _ when resource.TryGetContainerImageName(out var image) => image,
        ProjectResource project => ProjectImage(project.GetProjectMetadata().ProjectPath, mesh),
        _ => null,
    };

    /// <summary>The image the SDK's container publishing builds for a project: <c>&lt;registry&gt;/&lt;project&gt;:&lt;tag&gt;</c>.</summary>
    internal static string ProjectImage(string projectPath, MeshResource mesh) =>
        $"{mesh.ImageRegistry}/{Path.GetFileNameWithoutExtension(projectPath).ToLowerInvariant()}:{mesh.ImageTag}";

    /// <summary>
    /// The resource's environment as a cluster sees it: its own port is the container's, a mesh
    /// service is its cluster DNS name on the service port, a function its Knative URL, a broker
    /// Knative's broker ingress; values that only exist locally are dropped with a warning.
    /// </summary>
    private static async Task<List<KeyValuePair<string, string>>> EnvironmentAsync(
        IResource resource, IReadOnlySet<IResource> injected, MeshResource mesh, DistributedApplicationExecutionContext executionContext,
        List<string> warnings, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(executionContext, resource, values, cancellationToken);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        var overlaid = resource.Annotations.OfType<EnvironmentOverlayAnnotation>().Select(annotation => annotation.Name).ToHashSet(StringComparer.Ordinal);
        var environment = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in values.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (LocalOnlyPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)) || overlaid.Contains(name))
            {
                continue;
            }

            // As locally: the application speaks plaintext to its sidecar, so service discovery keeps only the http entry of an injected callee.
            if (name.StartsWith(SidecarWiring.ServiceDiscoveryPrefix, StringComparison.Ordinal)
                && SidecarWiring.Endpoint(value) is { Scheme: "https" } https && injected.Contains(https.Resource) && SidecarWiring.ServesHttp(https.Resource))
            {
                continue;
            }

            if (ClusterValue(value, resource, injected, mesh) is { } clusterValue)
            {
                environment.Add(new(name, clusterValue));
            }
            else
            {
                warnings.Add($"{resource.Name}: environment variable {name} refers to something that exists only locally; it is not exported (set it with WithEnvironmentOverlay).");
            }
        }

        return environment;
    }

    private static string? ClusterValue(object value, IResource self, IReadOnlySet<IResource> injected, MeshResource mesh)
    {
        switch (value)
        {
            case string text:
                return text;
            case EndpointReference endpoint:
                return ClusterUrl(endpoint.Resource, self, injected, mesh);
            case EndpointReferenceExpression expression:
                var url = ClusterUrl(expression.Endpoint.Resource, self, injected, mesh);
                if (url is null)
                {
                    return null;
                }

                var uri = new Uri(url);
                return expression.Property switch
                {
                    EndpointProperty.Port or EndpointProperty.TargetPort when expression.Endpoint.Resource == self => WorkloadSpec.DefaultContainerPort.ToString(CultureInfo.InvariantCulture),
                    EndpointProperty.Port or EndpointProperty.TargetPort => uri.Port.ToString(CultureInfo.InvariantCulture),
                    EndpointProperty.Host or EndpointProperty.IPV4Host => uri.Host,
                    EndpointProperty.Scheme => uri.Scheme,
                    EndpointProperty.HostAndPort => uri.Authority,
                    _ => url,
                };
            case ReferenceExpression { IsConditional: false } expression:
                var parts = expression.ValueProviders.Select(provider => ClusterValue(provider, self, injected, mesh)).ToList();
                return parts.Any(part => part is null)
                    ? null
                    : string.Format(CultureInfo.InvariantCulture, expression.Format, [.. parts]);
            default:
                return null;
        }
    }

    private static string? ClusterUrl(IResource target, IResource self, IReadOnlySet<IResource> injected, MeshResource mesh)
    {
        var domain = $"{mesh.Namespace}.svc.cluster.local";
        return target switch
        {
            // A service's URL in its port's scheme: tcp:// for a TCP service, as locally.
            MeshServiceResource service => $"{service.Annotations.OfType<EndpointAnnotation>().Single().UriScheme}://{service.Name}.{domain}:{service.Port}",
            FunctionResource function => $"http://{function.Name}.{domain}",
            BrokerResource broker => $"http://broker-ingress.knative-eventing.svc.cluster.local/{mesh.Namespace}/{broker.Name}",
            _ when target == self => $"http://localhost:{WorkloadSpec.DefaultContainerPort}",
            _ when injected.Contains(target) => $"http://{target.Name}.{domain}:{LocalMesh.Emulator.Configuration.MeshServiceConfig.DefaultPort}",
            _ => null,
        };
    }
}
