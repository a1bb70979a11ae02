using System.Diagnostics;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.Kubernetes.Deploy;

/// <summary>How one workload ended its rollout.</summary>
/// <param name="Name">e.g. <c>deployment/reviews-v1</c>.</param>
/// <param name="Ready">Whether it became ready in time.</param>
/// <param name="Detail">e.g. <c>2/2 ready</c>.</param>
internal sealed record RolloutResult(string Name, bool Ready, string Detail);

/// <summary>
/// Applies a <see cref="DeployPlan"/> to a cluster with server-side apply, waits for every
/// Deployment and Knative Service to be ready while reporting progress, and says how it went.
/// </summary>
/// <param name="client">The cluster.</param>
/// <param name="progress">Receives a line for each step and each change in readiness.</param>
/// <param name="pollInterval">How often rollout status is read.</param>
internal sealed class ClusterDeployer(IKubernetes client, Action<string> progress, TimeSpan? pollInterval = null)
{
    /// <summary>The field manager of every apply, so a later deploy owns and updates the same fields.</summary>
    public const string FieldManager = "localmesh";

    private readonly TimeSpan _poll = pollInterval ?? TimeSpan.FromSeconds(2);

    /// <summary>
    /// A client for the current kube context (or <paramref name="kubeconfig"/> and <paramref name="context"/>),
    /// checked by asking the API server for its version.
    /// </summary>
    /// <exception cref="DeployException">There is no kubeconfig, or the cluster does not answer; the message says what to do.</exception>
    public static async Task<(IKubernetes Client, string Target)> ConnectAsync(string? kubeconfig = null, string? context = null, CancellationToken cancellationToken = default)
    {
        KubernetesClientConfiguration configuration;
        var noCluster = $"Point KUBECONFIG at a cluster, or create one with 'kind create cluster --config <output>/{KubernetesExport.KindConfigPath}'; " +
            "'--dry-run true' prints the plan without one.";
        if (kubeconfig is null && context is null && !KubernetesClientConfiguration.IsInCluster() && !DefaultKubeconfigs().Any(File.Exists))
        {
            // The client would fall back to http://localhost:8080, and the error would speak of a cluster nobody asked for.
            throw new DeployException($"No kubeconfig was found (looked at {string.Join(", ", DefaultKubeconfigs())}). {noCluster}");
        }

        try
        {
            configuration = kubeconfig is null && context is null
                ? KubernetesClientConfiguration.BuildDefaultConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, context);
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or FileNotFoundException or IOException)
        {
            throw new DeployException($"No cluster to deploy to ({ex.Message.TrimEnd('.')}). {noCluster}", ex);
        }

        var target = $"{configuration.CurrentContext ?? "in-cluster"} ({configuration.Host})";
        var client = new k8s.Kubernetes(configuration);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await client.Version.GetCodeAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or HttpOperationException && !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw new DeployException($"The cluster {target} does not answer ({ex.GetBaseException().Message.TrimEnd('.')}). Is it running? ('kind get clusters', 'kubectl cluster-info')", ex);
        }

        return (client, target);
    }

    /// <summary>Where kubectl looks for its configuration: each file of <c>KUBECONFIG</c>, else <c>~/.kube/config</c>.</summary>
    internal static IEnumerable<string> DefaultKubeconfigs() =>
        Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } files
            ? files.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            : [Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config")];

    /// <summary>Applies every step in order, then waits for the rollouts; returns how each ended.</summary>
    public async Task<IReadOnlyList<RolloutResult>> DeployAsync(DeployPlan plan, TimeSpan rolloutTimeout, CancellationToken cancellationToken = default)
    {
        foreach (var (item, index) in plan.Steps.Select((item, index) => (item, index)))
        {
            progress($"[{index + 1}/{plan.Steps.Count}] apply {item.Kind} {item.Metadata.Name}");
            await ApplyAsync(item, cancellationToken);
            if (plan.Steps.Skip(index + 1).Any(later => later.Kind == item.Kind && later.ApiVersion == item.ApiVersion && later.Metadata.Name == item.Metadata.Name))
            {
                // An older revision: it must be ready before the next one replaces the template.
                await WaitAsync([item], rolloutTimeout, cancellationToken);
            }
        }

        var workloads = plan.Steps.Where(item => item is V1Deployment or KnativeService)
            .GroupBy(item => (item.Kind, item.Metadata.Name)).Select(group => group.Last()).ToList();
        return await WaitAsync(workloads, rolloutTimeout, cancellationToken);
    }

    /// <summary>Server-side apply of one object, forcing ownership of the fields it sets.</summary>
    public async Task ApplyAsync(IKubernetesObject<V1ObjectMeta> item, CancellationToken cancellationToken)
    {
        var patch = new V1Patch(item, V1Patch.PatchType.ApplyPatch);
        var (name, ns) = (item.Metadata.Name, item.Metadata.NamespaceProperty);
        try
        {
            _ = item switch
            {
                V1Namespace => await client.CoreV1.PatchNamespaceAsync(patch, name, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                V1ServiceAccount => await client.CoreV1.PatchNamespacedServiceAccountAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                V1ConfigMap => await client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                V1Service => await client.CoreV1.PatchNamespacedServiceAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                V1Deployment => await client.AppsV1.PatchNamespacedDeploymentAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                V1Role => await client.RbacAuthorizationV1.PatchNamespacedRoleAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                V1RoleBinding => await client.RbacAuthorizationV1.PatchNamespacedRoleBindingAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                V1ClusterRole => await client.RbacAuthorizationV1.PatchClusterRoleAsync(patch, name, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                V1ClusterRoleBinding => await client.RbacAuthorizationV1.PatchClusterRoleBindingAsync(patch, name, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                V1DaemonSet => await client.AppsV1.PatchNamespacedDaemonSetAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken),
                _ => await ApplyCustomAsync(item, patch, cancellationToken),
            };
        }
        catch (HttpOperationException ex)
        {
            var reason = ex.Response.StatusCode == HttpStatusCode.NotFound && CustomResourceTypes.Of(item).Group.Length > 0
                ? $"the cluster does not know {item.ApiVersion} {item.Kind}; install {Operator(item)} first."
                : ex.Response.Content;
            throw new DeployException($"Applying {item.Kind} {ns}/{name} failed ({(int)ex.Response.StatusCode}): {reason}", ex);
        }
    }

    private async Task<object> ApplyCustomAsync(IKubernetesObject<V1ObjectMeta> item, V1Patch patch, CancellationToken cancellationToken)
    {
        var kind = CustomResourceTypes.Of(item);
        return await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            patch, kind.Group, kind.Version, item.Metadata.NamespaceProperty, kind.Plural, item.Metadata.Name,
            fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
    }

    private static string Operator(IKubernetesObject<V1ObjectMeta> item) => CustomResourceTypes.Of(item).Group switch
    {
        "networking.istio.io" or "security.istio.io" or "telemetry.istio.io" => "Istio",
        "install.istio.io" => "Istio's operator (istioctl operator init; or install with istioctl install -f platform/istio.yaml)",
        "jaegertracing.io" => "the Jaeger operator",
        "serving.knative.dev" => "Knative Serving",
        "eventing.knative.dev" => "Knative Eventing",
        "monitoring.coreos.com" => "the Prometheus operator",
        "argoproj.io" => "Argo CD",
        var group => $"the CRDs of {group}",
    };

    /// <summary>Polls each workload until it is ready or the time is up, reporting each change.</summary>
    private async Task<IReadOnlyList<RolloutResult>> WaitAsync(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> workloads, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var last = new Dictionary<string, RolloutResult>();
        while (true)
        {
            foreach (var workload in workloads)
            {
                var status = await StatusAsync(workload, cancellationToken);
                if (!last.TryGetValue(status.Name, out var before) || before != status)
                {
                    progress($"{status.Name}: {status.Detail}");
                    last[status.Name] = status;
                }
            }

            if (last.Values.All(status => status.Ready) || Stopwatch.GetElapsedTime(started) > timeout)
            {
                return [.. last.Values];
            }

            await Task.Delay(_poll, cancellationToken);
        }
    }

    private async Task<RolloutResult> StatusAsync(IKubernetesObject<V1ObjectMeta> workload, CancellationToken cancellationToken)
    {
        var (name, ns) = (workload.Metadata.Name, workload.Metadata.NamespaceProperty);
        if (workload is V1Deployment)
        {
            var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: cancellationToken);
            var wanted = deployment.Spec.Replicas ?? 1;
            var ready = deployment.Status?.ReadyReplicas ?? 0;
            var updated = deployment.Status?.UpdatedReplicas ?? 0;
            var current = deployment.Status?.ObservedGeneration >= deployment.Metadata.Generation;
            return new($"deployment/{name}", current && ready >= wanted && updated >= wanted, $"{ready}/{wanted} ready, {updated} updated");
        }

        var kind = CustomResourceTypes.Of(workload);
        var service = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken);
        var condition = service.TryGetProperty("status", out var state) && state.TryGetProperty("conditions", out var conditions)
            ? conditions.EnumerateArray().FirstOrDefault(c => c.GetProperty("type").GetString() == "Ready")
            : default;
        var isReady = condition.ValueKind == JsonValueKind.Object && condition.GetProperty("status").GetString() == "True";
        var detail = condition.ValueKind == JsonValueKind.Object
            ? $"Ready={condition.GetProperty("status").GetString()}{(condition.TryGetProperty("message", out var message) ? $" ({message.GetString()})" : "")}"
            : "not reconciled yet";
        return new($"ksvc/{name}", isReady, detail);
    }

    /// <summary>Calls <paramref name="url"/> until it answers 2xx or the time is up: the smoke test after a rollout.</summary>
    public async Task<(bool Passed, string Detail)> SmokeTestAsync(Uri url, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var started = Stopwatch.GetTimestamp();
        var detail = "";
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            try
            {
                using var response = await http.GetAsync(url, cancellationToken);
                detail = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                if (response.IsSuccessStatusCode)
                {
                    progress($"smoke test: GET {url} → {detail}");
                    return (true, detail);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                detail = ex.Message;
            }

            await Task.Delay(_poll, cancellationToken);
        }

        progress($"smoke test: GET {url} failed: {detail}");
        return (false, detail);
    }
}
