using k8s.Models;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Kubernetes.Export;

/// <summary>
/// The export's <c>platform/</c> kustomize folder: what the architecture runs around the app, from
/// the same mesh settings the emulator ran with — Istio (an <c>IstioOperator</c>: the demo profile,
/// its control plane and ingress gateway, access logging, Prometheus merge, Jaeger as the tracing
/// provider), Istio's <c>Telemetry</c> (sampling, access logs), Jaeger all-in-one in memory, a
/// Prometheus that selects the export's ServiceMonitors and PrometheusRules, and Fluentd tailing
/// the containers' JSON logs. Each part installs through its operator or CRDs (istioctl or the
/// Istio operator, the Jaeger operator, prometheus-operator), which the cluster must have.
/// </summary>
internal static class PlatformExporter
{
    /// <summary>Where Istio's control plane, its operator resource and mesh-wide Telemetry live.</summary>
    public const string IstioNamespace = IstioExporter.RootNamespace;

    /// <summary>Where Jaeger runs.</summary>
    public const string ObservabilityNamespace = "observability";

    /// <summary>Where Prometheus runs.</summary>
    public const string MonitoringNamespace = "monitoring";

    /// <summary>Where Fluentd runs.</summary>
    public const string LoggingNamespace = "logging";

    /// <summary>Jaeger's collector, as Istio's zipkin provider reaches it.</summary>
    public const string JaegerCollector = $"jaeger-collector.{ObservabilityNamespace}.svc.cluster.local";

    /// <summary>Jaeger's Zipkin-compatible port.</summary>
    public const int ZipkinPort = 9411;

    /// <summary>The files of <c>platform/</c>, with its kustomization; none when the model installs no platform.</summary>
    public static IReadOnlyList<ManifestFile> Files(KubernetesAppModel model)
    {
        var files = new List<ManifestFile>();
        var platform = model.Platform;
        if (platform.HasFlag(PlatformComponents.Istio) || platform.HasFlag(PlatformComponents.Telemetry))
        {
            files.Add(new("platform/istio.yaml", [
                Namespace(model, IstioNamespace),
                .. platform.HasFlag(PlatformComponents.Istio) ? new object[] { IstioOperator(model) } : [],
                .. platform.HasFlag(PlatformComponents.Telemetry) ? new object[] { Telemetry(model) } : []]));
        }

        if (platform.HasFlag(PlatformComponents.Jaeger))
        {
            files.Add(new("platform/jaeger.yaml", [Namespace(model, ObservabilityNamespace), Jaeger(model)]));
        }

        if (platform.HasFlag(PlatformComponents.Prometheus))
        {
            files.Add(new("platform/prometheus.yaml", [Namespace(model, MonitoringNamespace), .. Prometheus(model)]));
        }

        if (platform.HasFlag(PlatformComponents.Fluentd))
        {
            files.Add(new("platform/fluentd.yaml", [Namespace(model, LoggingNamespace), .. Fluentd(model)]));
        }

        if (files.Count > 0)
        {
            files.Add(new("platform/kustomization.yaml", [new Kustomization
            {
                Metadata = new V1ObjectMeta { Name = $"{model.Name}-platform" },
                Resources = [.. files.Select(file => file.Path["platform/".Length..])],
            }]));
        }

        return files;
    }

    /// <summary>Istio installed with the demo profile (what a laptop cluster runs), configured as the mesh ran locally.</summary>
    public static IstioOperator IstioOperator(KubernetesAppModel model) => new()
    {
        Metadata = CoreExporter.Meta(model, $"{model.Name}-istio", @namespace: IstioNamespace),
        Spec = new IstioOperatorSpec
        {
            Profile = "demo",
            MeshConfig = new IstioMeshConfig
            {
                // Istio's meshConfig: /dev/stdout turns access logs on (kubectl logs -c istio-proxy), empty turns them off.
                AccessLogFile = model.Mesh.AccessLog is null ? "" : "/dev/stdout",
                AccessLogEncoding = model.Mesh.AccessLog == AccessLogEncoding.Json ? "JSON" : "TEXT",
                // The sidecar serves the app's metrics and its own on one port, as the ServiceMonitors scrape them.
                EnablePrometheusMerge = true,
                EnableTracing = model.Platform.HasFlag(PlatformComponents.Jaeger),
                ExtensionProviders = model.Platform.HasFlag(PlatformComponents.Jaeger)
                    ? [new IstioExtensionProvider { Name = "jaeger", Zipkin = new IstioZipkinProvider { Service = JaegerCollector, Port = ZipkinPort } }]
                    : null,
                DefaultProviders = model.Platform.HasFlag(PlatformComponents.Jaeger) ? new IstioDefaultProviders { Tracing = ["jaeger"] } : null,
            },
            Components = new IstioComponents
            {
                Pilot = new IstioComponent { Enabled = true, K8s = new IstioKubernetesSettings { Resources = Requests("100m", "256Mi") } },
                IngressGateways =
                [
                    new IstioGatewayComponent { Name = MeshConfig.IstioIngressGateway, Enabled = true, K8s = new IstioKubernetesSettings { Resources = Requests("100m", "128Mi") } },
                ],
            },
        },
    };

    /// <summary>Istio's mesh-wide Telemetry: the sampling and access logging the mesh ran with.</summary>
    public static IstioTelemetry Telemetry(KubernetesAppModel model) => new()
    {
        Metadata = CoreExporter.Meta(model, "mesh-default", @namespace: IstioNamespace),
        Spec = new IstioTelemetrySpec
        {
            Tracing = [new IstioTracing
            {
                Providers = model.Platform.HasFlag(PlatformComponents.Jaeger) ? [new IstioProviderRef { Name = "jaeger" }] : null,
                RandomSamplingPercentage = model.Mesh.TraceSampling,
            }],
            AccessLogging = [model.Mesh.AccessLog is null
                ? new IstioAccessLogging { Disabled = true }
                : new IstioAccessLogging { Providers = [new IstioProviderRef { Name = "envoy" }] }],
        },
    };

    /// <summary>Jaeger all-in-one, traces in memory: as the architecture runs it.</summary>
    public static Jaeger Jaeger(KubernetesAppModel model) => new()
    {
        Metadata = CoreExporter.Meta(model, "jaeger", @namespace: ObservabilityNamespace),
        Spec = new JaegerSpec
        {
            Strategy = "allInOne",
            Storage = new JaegerStorage { Type = "memory", Options = new() { ["memory"] = new() { ["max-traces"] = 100000 } } },
        },
    };

    /// <summary>A Prometheus selecting every ServiceMonitor and PrometheusRule the export writes, with the identity and RBAC it scrapes with.</summary>
    public static IEnumerable<object> Prometheus(KubernetesAppModel model)
    {
        const string name = "prometheus";
        var exported = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [CoreExporter.ManagedByLabel] = CoreExporter.ManagedBy } };
        foreach (var item in Identity(model, name, MonitoringNamespace,
        [
            new V1PolicyRule { ApiGroups = [""], Resources = ["nodes", "nodes/metrics", "services", "endpoints", "pods"], Verbs = ["get", "list", "watch"] },
            new V1PolicyRule { ApiGroups = ["discovery.k8s.io"], Resources = ["endpointslices"], Verbs = ["get", "list", "watch"] },
            new V1PolicyRule { NonResourceURLs = ["/metrics"], Verbs = ["get"] },
        ]))
        {
            yield return item;
        }

        yield return new Prometheus
        {
            Metadata = CoreExporter.Meta(model, name, @namespace: MonitoringNamespace),
            Spec = new PrometheusSpec
            {
                ServiceAccountName = name,
                ScrapeInterval = "15s",
                EvaluationInterval = "15s",
                ServiceMonitorSelector = exported,
                ServiceMonitorNamespaceSelector = new V1LabelSelector(),
                RuleSelector = exported,
                RuleNamespaceSelector = new V1LabelSelector(),
                Resources = Requests("100m", "400Mi"),
            },
        };
    }

    /// <summary>The Fluentd configuration: every container's log file, parsed as JSON (what the services write in the cluster profile), to standard output.</summary>
    public const string FluentdConfig = """
        <source>
          @type tail
          path /var/log/containers/*.log
          pos_file /var/log/fluentd-containers.log.pos
          tag kubernetes.*
          read_from_head true
          <parse>
            @type json
            time_key time
            time_format %Y-%m-%dT%H:%M:%S.%NZ
          </parse>
        </source>

        <match kubernetes.**>
          @type stdout
        </match>
        """;

    /// <summary>Fluentd on every node (a DaemonSet) with its ConfigMap, identity and RBAC.</summary>
    public static IEnumerable<object> Fluentd(KubernetesAppModel model)
    {
        const string name = "fluentd";
        var labels = new Dictionary<string, string> { ["app"] = name };
        foreach (var item in Identity(model, name, LoggingNamespace, [new V1PolicyRule { ApiGroups = [""], Resources = ["pods", "namespaces"], Verbs = ["get", "list", "watch"] }]))
        {
            yield return item;
        }

        yield return new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = CoreExporter.Meta(model, $"{name}-config", @namespace: LoggingNamespace),
            Data = new Dictionary<string, string> { ["fluent.conf"] = FluentdConfig.ReplaceLineEndings("\n") + "\n" },
        };
        yield return new V1DaemonSet
        {
            ApiVersion = "apps/v1",
            Kind = "DaemonSet",
            Metadata = CoreExporter.Meta(model, name, labels, @namespace: LoggingNamespace),
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = name,
                        Tolerations = [new V1Toleration { Key = "node-role.kubernetes.io/control-plane", Effect = "NoSchedule", OperatorProperty = "Exists" }],
                        Containers =
                        [
                            new V1Container
                            {
                                Name = name,
                                Image = "fluent/fluentd:v1.16-debian-1",
                                ImagePullPolicy = "IfNotPresent",
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("200Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("400Mi") },
                                },
                                VolumeMounts =
                                [
                                    new V1VolumeMount { Name = "varlog", MountPath = "/var/log" },
                                    new V1VolumeMount { Name = "config", MountPath = "/fluentd/etc" },
                                ],
                            },
                        ],
                        Volumes =
                        [
                            new V1Volume { Name = "varlog", HostPath = new V1HostPathVolumeSource { Path = "/var/log" } },
                            new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = $"{name}-config" } },
                        ],
                    },
                },
            },
        };
    }

    /// <summary>A platform part's ServiceAccount, and a ClusterRole with <paramref name="rules"/> bound to it.</summary>
    private static IEnumerable<object> Identity(KubernetesAppModel model, string name, string @namespace, List<V1PolicyRule> rules)
    {
        var role = $"{model.Name}-{name}";
        yield return new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = CoreExporter.Meta(model, name, @namespace: @namespace) };
        yield return new V1ClusterRole { ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "ClusterRole", Metadata = ClusterMeta(model, role), Rules = rules };
        yield return new V1ClusterRoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "ClusterRoleBinding",
            Metadata = ClusterMeta(model, role),
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = role },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = name, NamespaceProperty = @namespace }],
        };
    }

    private static V1Namespace Namespace(KubernetesAppModel model, string name) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = ClusterMeta(model, name),
    };

    /// <summary>A cluster-scoped object's metadata: no namespace.</summary>
    private static V1ObjectMeta ClusterMeta(KubernetesAppModel model, string name)
    {
        var meta = CoreExporter.Meta(model, name);
        meta.NamespaceProperty = null;
        return meta;
    }

    private static V1ResourceRequirements Requests(string cpu, string memory) => new()
    {
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) },
    };
}
