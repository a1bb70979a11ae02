using Aspire.Hosting.ApplicationModel;
using LocalMesh.Kubernetes.Export;

namespace Aspire.Hosting;

/// <summary>What the Kubernetes export needs beyond the local run: images, resources, per-environment values, API access, GitOps.</summary>
public static class MeshKubernetesBuilderExtensions
{
    /// <summary>The environment whose values apply when the app runs locally.</summary>
    public const string LocalEnvironment = "development";

    /// <summary>Sets the image registry (and tag) the export names project images with: <c>&lt;registry&gt;/&lt;project&gt;:&lt;tag&gt;</c>.</summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="registry">E.g. <c>ghcr.io/contoso</c>; <c>localmesh</c> by default (images loaded into kind).</param>
    /// <param name="tag">The tag; <c>dev</c> by default.</param>
    public static IResourceBuilder<MeshResource> WithImageRegistry(this IResourceBuilder<MeshResource> mesh, string registry, string tag = MeshResource.DefaultImageTag)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentException.ThrowIfNullOrWhiteSpace(registry);
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        (mesh.Resource.ImageRegistry, mesh.Resource.ImageTag) = (registry.TrimEnd('/'), tag);
        return mesh;
    }

    /// <summary>Adds an Argo CD Application to the export that syncs <paramref name="path"/> of <paramref name="repositoryUrl"/>.</summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="repositoryUrl">The Git repository the exported folder is committed to.</param>
    /// <param name="path">The folder to sync, usually an overlay, e.g. <c>deploy/overlays/production</c>.</param>
    /// <param name="targetRevision">The branch, tag or commit.</param>
    public static IResourceBuilder<MeshResource> WithGitOpsRepository(
        this IResourceBuilder<MeshResource> mesh, string repositoryUrl, string path, string targetRevision = "HEAD")
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentException.ThrowIfNullOrWhiteSpace(repositoryUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return mesh.WithAnnotation(new GitOpsAnnotation(new GitOpsSource(repositoryUrl, path, targetRevision)), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>Sets a workload's CPU and memory requests and limits in Kubernetes.</summary>
    /// <param name="builder">The workload.</param>
    /// <param name="cpuRequest">E.g. <c>100m</c>.</param>
    /// <param name="memoryRequest">E.g. <c>128Mi</c>.</param>
    /// <param name="memoryLimit">E.g. <c>256Mi</c>.</param>
    /// <param name="cpuLimit">None by default: a CPU limit throttles.</param>
    public static IResourceBuilder<T> WithKubernetesResources<T>(
        this IResourceBuilder<T> builder, string cpuRequest, string memoryRequest, string memoryLimit, string? cpuLimit = null)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithAnnotation(new KubernetesResourcesAnnotation(new ContainerResources(cpuRequest, memoryRequest, cpuLimit, memoryLimit)), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Chooses what the export's <c>platform/</c> folder installs around the app (Istio, its
    /// Telemetry, Jaeger, Prometheus, Fluentd — all of them by default, as the architecture runs
    /// them); <see cref="PlatformComponents.None"/> writes no <c>platform/</c>.
    /// </summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="components">The parts to install.</param>
    /// <example>
    /// <code>
    /// mesh.WithPlatform(PlatformComponents.All &amp; ~PlatformComponents.Fluentd); // the cluster has its own log collector
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithPlatform(this IResourceBuilder<MeshResource> mesh, PlatformComponents components)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return mesh.WithAnnotation(new MeshPlatformAnnotation(components), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Runs <paramref name="image"/> in place of the workload in a cluster, listening on
    /// <paramref name="containerPort"/>: a local stand-in (an embedded Redis-compatible server, say)
    /// deploys as the real thing. The stand-in's environment is not exported; the image's own
    /// configuration applies.
    /// </summary>
    /// <param name="builder">The workload.</param>
    /// <param name="image">The image, e.g. <c>redis:alpine</c>.</param>
    /// <param name="containerPort">The port the image listens on, e.g. 6379.</param>
    /// <example>
    /// <code>
    /// builder.AddProject&lt;Projects.RedisCache&gt;("redis-cache-v1").WithKubernetesImage("redis:alpine", 6379);
    /// </code>
    /// </example>
    public static IResourceBuilder<T> WithKubernetesImage<T>(this IResourceBuilder<T> builder, string image, int containerPort)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(containerPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(containerPort, 65535);
        return builder.WithAnnotation(new KubernetesImageAnnotation(image, containerPort), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Sets <paramref name="name"/> to <paramref name="value"/> in <paramref name="environment"/>: a
    /// ConfigMap in that kustomize overlay. Locally, the <c>development</c> value applies.
    /// </summary>
    /// <param name="builder">The workload.</param>
    /// <param name="environment">The overlay, e.g. <c>development</c> or <c>production</c>.</param>
    /// <param name="name">The environment variable.</param>
    /// <param name="value">Its value in that environment.</param>
    /// <example>
    /// <code>
    /// productpage.WithEnvironmentOverlay("development", "Logging__LogLevel__Default", "Debug")
    ///            .WithEnvironmentOverlay("production", "Logging__LogLevel__Default", "Warning");
    /// </code>
    /// </example>
    public static IResourceBuilder<T> WithEnvironmentOverlay<T>(this IResourceBuilder<T> builder, string environment, string name, string value)
        where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(environment);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        builder.WithAnnotation(new EnvironmentOverlayAnnotation(environment, name, value));
        if (environment == LocalEnvironment && builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            builder.WithEnvironment(name, value);
        }

        return builder;
    }

    /// <summary>Lets a workload use the Kubernetes API: a Role with this rule, bound to its service account.</summary>
    /// <param name="builder">The workload.</param>
    /// <param name="apiGroups">API groups; "" is the core group.</param>
    /// <param name="resources">Resources, e.g. <c>configmaps</c>.</param>
    /// <param name="verbs">Verbs, e.g. <c>get</c>, <c>list</c>, <c>watch</c>.</param>
    public static IResourceBuilder<T> WithKubernetesApiAccess<T>(this IResourceBuilder<T> builder, string[] apiGroups, string[] resources, string[] verbs)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithAnnotation(new KubernetesApiAccessAnnotation(new ApiAccessRule([.. apiGroups], [.. resources], [.. verbs])));
    }
}
