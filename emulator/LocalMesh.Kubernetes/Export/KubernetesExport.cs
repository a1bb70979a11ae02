using k8s;
using k8s.Models;

namespace LocalMesh.Kubernetes.Export;

/// <summary>One YAML file of the output: its path under the output folder and its objects, in order.</summary>
/// <param name="Path">The path, with '/' separators, e.g. <c>base/reviews.yaml</c>.</param>
/// <param name="Objects">The objects, one YAML document each.</param>
internal sealed record ManifestFile(string Path, IReadOnlyList<object> Objects)
{
    /// <summary>The file's text: each object by the serializer, as a multi-document YAML stream.</summary>
    public string ToYaml() => string.Join("---\n", Objects.Select(item => item is CarriedObject carried
        ? carried.Yaml
        : KubernetesYaml.Serialize(item).TrimEnd('\n') + "\n"));
}

/// <summary>The export: every file to write, and what the model holds that the targets cannot express.</summary>
/// <param name="Files">The files, base first, then the overlays.</param>
/// <param name="Warnings">One line each, naming what is lost and why.</param>
internal sealed record ExportResult(IReadOnlyList<ManifestFile> Files, IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// Objects a deploy applies before the files' own, not written: each older function revision
    /// that traffic still names, as its Knative Service's template, oldest first.
    /// </summary>
    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Prerequisites { get; init; } = [];

    /// <summary>The overlay folders, e.g. <c>overlays/production</c>.</summary>
    public IEnumerable<string> Overlays => Files.Select(file => file.Path).Where(path => path.StartsWith("overlays/", StringComparison.Ordinal))
        .Select(path => path[..path.LastIndexOf('/')]).Distinct();

    /// <summary>The list of files an export wrote, kept in the folder so the next export removes only its own stale files.</summary>
    public const string WrittenFilesList = ".localmesh-export";

    /// <summary>
    /// Writes every file under <paramref name="directory"/>. Files a previous export wrote that
    /// this one does not are deleted; nothing else in the folder is touched.
    /// </summary>
    public async Task WriteAsync(string directory, CancellationToken cancellationToken = default)
    {
        var list = System.IO.Path.Combine(directory, WrittenFilesList);
        var previous = File.Exists(list) ? await File.ReadAllLinesAsync(list, cancellationToken) : [];
        foreach (var stale in previous.Except(Files.Select(file => file.Path), StringComparer.Ordinal))
        {
            File.Delete(FullPath(directory, stale));
        }

        foreach (var file in Files)
        {
            var path = FullPath(directory, file.Path);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, file.ToYaml(), cancellationToken);
        }

        await File.WriteAllLinesAsync(list, Files.Select(file => file.Path), cancellationToken);
    }

    private static string FullPath(string directory, string path) =>
        System.IO.Path.Combine(directory, path.Replace('/', System.IO.Path.DirectorySeparatorChar));
}

/// <summary>
/// The app model to a kustomize folder: <c>base/</c> with every object (a file per service,
/// function group, policy group), <c>overlays/&lt;environment&gt;/</c> with each environment's
/// ConfigMaps, a kind cluster configuration, and an Argo CD Application when the model names a
/// repository. Pure: the same model always gives the same files.
/// </summary>
internal static class KubernetesExport
{
    /// <summary>The kind cluster's host port for the ingress gateway (the local gateway's default).</summary>
    public const int KindIngressHostPort = 9080;

    /// <summary>The ingress gateway's node port in the kind cluster.</summary>
    public const int KindIngressNodePort = 30080;

    /// <summary>Where the kind cluster configuration goes: <c>kind create cluster --config &lt;output&gt;/kind/cluster.config</c>.</summary>
    public const string KindConfigPath = "kind/cluster.config";

    /// <summary>Exports <paramref name="model"/>.</summary>
    public static ExportResult Export(KubernetesAppModel model)
    {
        var files = new List<ManifestFile>();
        var warnings = new List<string>(model.Warnings);
        var mesh = model.Mesh;
        var functions = model.Functions.Select(function => function.Name).ToHashSet(StringComparer.Ordinal);
        var gatewayApi = model.GatewayApi ? GatewayApiExporter.Decide(model) : null;
        if (gatewayApi is not null)
        {
            warnings.AddRange(gatewayApi.Warnings);
            model = gatewayApi.Apply(model);
        }

        files.Add(new("base/namespace.yaml", [CoreExporter.Namespace(model)]));
        foreach (var service in mesh.Services.Where(service => !functions.Contains(service.Name)))
        {
            var workloads = model.Workloads.Where(workload => workload.Service == service.Name).ToList();
            var objects = new List<object> { CoreExporter.Service(model, service.Name, service.Port, service.Protocol) };
            objects.AddRange(workloads.Select(workload => workload.ServiceAccount).Distinct().Select(account => CoreExporter.ServiceAccount(model, account)));
            foreach (var workload in workloads)
            {
                objects.AddRange(CoreExporter.Rbac(model, workload));
                objects.Add(CoreExporter.Deployment(model, workload));
            }

            if (IstioExporter.DestinationRule(model, service) is { } rule)
            {
                objects.Add(rule);
            }
            if (IstioExporter.VirtualService(model, service) is { } routes)
            {
                objects.Add(routes);
            }

            if (gatewayApi is not null)
            {
                objects.AddRange(GatewayApiExporter.Service(model, service, gatewayApi));
            }

            objects.Add(MonitoringExporter.ServiceMonitor(model, service.Name));
            files.Add(new($"base/{service.Name}.yaml", objects));
        }

        var prerequisites = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (var function in model.Functions)
        {
            files.Add(new($"base/{function.Name}.yaml", [KnativeExporter.Service(model, function)]));
            var older = function.Revisions.SkipLast(1).Select(revision => revision.Name)
                .Where(revision => function.Traffic.Any(target => target.RevisionName == revision)).ToList();
            prerequisites.AddRange(older.Select(revision => KnativeExporter.Service(model, function with
            {
                Revisions = [function.Revisions.Single(r => r.Name == revision)],
                Traffic = [],
            })));
            if (older.Count > 0)
            {
                warnings.Add($"{function.Name}: a Knative Service's template is its latest revision ({function.Revisions[^1].Name}); " +
                    $"traffic to {string.Join(", ", older)} needs those revisions to exist, so apply them first (deploy does, one revision at a time).");
            }
        }

        var eventing = mesh.Brokers.SelectMany(broker => new object[] { KnativeExporter.Broker(model, broker) }
            .Concat(broker.Triggers.Select(trigger => KnativeExporter.Trigger(model, broker, trigger)))).ToList();
        if (eventing.Count > 0)
        {
            files.Add(new("base/eventing.yaml", eventing));
        }

        var security = mesh.PeerAuthentications.Select(policy => (object)IstioExporter.PeerAuthentication(model, policy))
            .Concat(mesh.AuthorizationPolicies.Select(policy => IstioExporter.AuthorizationPolicy(model, policy)))
            .Concat(IstioExporter.OutboundTrafficPolicy(model) is { } sidecar ? [sidecar] : []).ToList();
        if (security.Count > 0)
        {
            files.Add(new("base/security.yaml", security));
        }

        if (model.ServiceEntries.Select(entry => (object)IstioExporter.ServiceEntry(model, entry)).ToList() is { Count: > 0 } egress)
        {
            files.Add(new("base/egress.yaml", egress));
        }

        var ingress = IstioExporter.Ingress(model).Concat(gatewayApi is null ? [] : GatewayApiExporter.Ingress(model, gatewayApi)).ToList();
        if (ingress.Count > 0)
        {
            files.Add(new("base/ingress.yaml", ingress));
        }

        files.Add(new("base/monitoring.yaml", [MonitoringExporter.Rules(model)]));
        var application = model.GitOps is { } source ? ArgoCdExporter.Application(model, source) : null;
        var platform = PlatformExporter.Files(model);
        if (Carried(model, [.. files.SelectMany(file => file.Objects), .. platform.SelectMany(file => file.Objects), .. application is null ? [] : new object[] { application }], warnings) is { Count: > 0 } carried)
        {
            files.Add(new("base/carried.yaml", carried));
        }

        files.Add(new("base/kustomization.yaml", [BaseKustomization(model, files)]));
        files.AddRange(model.Environments.Select(environment => new ManifestFile($"overlays/{environment}/kustomization.yaml", [Overlay(model, environment)])));
        // kind reads its configuration strictly and it is no API object, so it is not named *.yaml,
        // which manifest tools (and kubectl apply -R) would pick up.
        files.AddRange(platform);
        files.Add(new(KindConfigPath, [KindCluster(model)]));
        if (application is not null)
        {
            files.Add(new("argocd/application.yaml", [application]));
        }

        return new ExportResult(files, warnings) { Prerequisites = prerequisites };
    }

    /// <summary>
    /// The team's own objects the mesh does not emulate, so applying the export deploys their whole
    /// folder; one the export writes itself (same kind, namespace and name) is the export's, with a warning.
    /// </summary>
    private static List<object> Carried(KubernetesAppModel model, IEnumerable<object> written, List<string> warnings)
    {
        var exported = written.OfType<IKubernetesObject<V1ObjectMeta>>()
            .Select(item => (item.Kind, item.Metadata.NamespaceProperty ?? model.Mesh.Namespace, item.Metadata.Name))
            .ToHashSet();
        var replaced = model.Carried.Where(item => exported.Contains((item.Kind, item.Namespace, item.Name))).ToList();
        if (replaced.Count > 0)
        {
            warnings.Add($"Not carried, because the export writes them from the app model: {string.Join(", ", replaced.Select(item => $"{item.Kind} {item.Namespace}/{item.Name} ({item.Source})"))}.");
        }

        return [.. model.Carried.Except(replaced)];
    }

    private static Kustomization BaseKustomization(KubernetesAppModel model, IReadOnlyList<ManifestFile> files)
    {
        var configured = model.Workloads.Where(workload => workload.ConfigByEnvironment.Count > 0).ToList();
        return new Kustomization
        {
            Metadata = new V1ObjectMeta { Name = $"{model.Name}-base" },
            Resources = [.. files.Select(file => file.Path["base/".Length..])],
            // Every overlay merges its values into these; the names stay stable for envFrom.
            ConfigMapGenerator = configured.Count == 0 ? null : [.. configured.Select(workload => new KustomizeConfigMap
            {
                Name = CoreExporter.ConfigMapName(workload),
                Namespace = model.Mesh.Namespace,
                Literals = [.. workload.ConfigByEnvironment.Values.SelectMany(values => values.Keys).Distinct().Order(StringComparer.Ordinal).Select(key => $"{key}=")],
            })],
            GeneratorOptions = configured.Count == 0 ? null : new KustomizeGeneratorOptions { DisableNameSuffixHash = true },
        };
    }

    private static Kustomization Overlay(KubernetesAppModel model, string environment)
    {
        var configured = model.Workloads.Where(workload => workload.ConfigByEnvironment.ContainsKey(environment)).ToList();
        return new Kustomization
        {
            Metadata = new V1ObjectMeta { Name = $"{model.Name}-{environment}" },
            Resources = ["../../base"],
            ConfigMapGenerator = configured.Count == 0 ? null : [.. configured.Select(workload => new KustomizeConfigMap
            {
                Name = CoreExporter.ConfigMapName(workload),
                Namespace = model.Mesh.Namespace,
                Behavior = "merge",
                Literals = [.. workload.ConfigByEnvironment[environment].OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={pair.Value}")],
            })],
            GeneratorOptions = configured.Count == 0 ? null : new KustomizeGeneratorOptions { DisableNameSuffixHash = true },
        };
    }

    /// <summary>A kind cluster whose node maps the ingress gateway's node port to the local gateway's port.</summary>
    private static KindClusterConfig KindCluster(KubernetesAppModel model) => new()
    {
        Name = model.Name,
        Nodes =
        [
            new KindNode
            {
                Role = "control-plane",
                ExtraPortMappings = [new KindPortMapping { ContainerPort = KindIngressNodePort, HostPort = KindIngressHostPort, ListenAddress = "127.0.0.1", Protocol = "TCP" }],
            },
        ],
    };
}

#pragma warning disable CS1591 // kind's own configuration fields
/// <summary>kind's cluster configuration (kind.x-k8s.io/v1alpha4).</summary>
internal sealed class KindClusterConfig
{
    public string Kind { get; set; } = "Cluster";
    public string ApiVersion { get; set; } = "kind.x-k8s.io/v1alpha4";
    public string Name { get; set; } = "";
    public List<KindNode> Nodes { get; set; } = [];
}

internal sealed class KindNode
{
    public string Role { get; set; } = "";
    public List<KindPortMapping>? ExtraPortMappings { get; set; }
}

internal sealed class KindPortMapping
{
    public int ContainerPort { get; set; }
    public int HostPort { get; set; }
    public string? ListenAddress { get; set; }
    public string? Protocol { get; set; }
}
#pragma warning restore CS1591
