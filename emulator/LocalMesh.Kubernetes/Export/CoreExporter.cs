using LocalMesh.Emulator.Configuration;
using k8s.Models;

namespace LocalMesh.Kubernetes.Export;

/// <summary>Kubernetes' own objects: the namespace, identities, Deployments and Services.</summary>
internal static class CoreExporter
{
    /// <summary>The label that marks objects LocalMesh wrote.</summary>
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    /// <summary>Its value.</summary>
    public const string ManagedBy = "localmesh";

    /// <summary>The Service port Istio's sidecar serves its metrics on (Istio's <c>http-envoy-prom</c>).</summary>
    public const int EnvoyMetricsPort = 15090;

    /// <summary>The namespace, with Istio's sidecar injection on.</summary>
    public static V1Namespace Namespace(KubernetesAppModel model) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta
        {
            Name = model.Mesh.Namespace,
            Labels = new Dictionary<string, string> { ["istio-injection"] = "enabled", [ManagedByLabel] = ManagedBy },
        },
    };

    /// <summary>The service account of a workload: the identity its SPIFFE ID names.</summary>
    public static V1ServiceAccount ServiceAccount(KubernetesAppModel model, string name) => new()
    {
        ApiVersion = "v1",
        Kind = "ServiceAccount",
        Metadata = Meta(model, name),
    };

    /// <summary>A Role and its RoleBinding for a workload that uses the Kubernetes API; none when it does not.</summary>
    public static IEnumerable<object> Rbac(KubernetesAppModel model, WorkloadSpec workload)
    {
        if (workload.ApiAccess.IsDefaultOrEmpty)
        {
            yield break;
        }

        yield return new V1Role
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "Role",
            Metadata = Meta(model, workload.Name),
            Rules = [.. workload.ApiAccess.Select(rule => new V1PolicyRule
            {
                ApiGroups = [.. rule.ApiGroups],
                Resources = [.. rule.Resources],
                Verbs = [.. rule.Verbs],
            })],
        };
        yield return new V1RoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "RoleBinding",
            Metadata = Meta(model, workload.Name),
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = workload.Name },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = workload.ServiceAccount, NamespaceProperty = model.Mesh.Namespace }],
        };
    }

    /// <summary>A workload's Deployment: its labels, image, environment, probes, resources and replicas.</summary>
    public static V1Deployment Deployment(KubernetesAppModel model, WorkloadSpec workload)
    {
        var labels = workload.Labels.OrderBy(label => label.Key, StringComparer.Ordinal).ToDictionary();
        var hasConfig = workload.ConfigByEnvironment.Count > 0;
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Meta(model, workload.Name, labels),
            Spec = new V1DeploymentSpec
            {
                Replicas = workload.Replicas,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = workload.ServiceAccount,
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "app",
                                Image = workload.Image,
                                ImagePullPolicy = "IfNotPresent",
                                Ports = [new V1ContainerPort { Name = ContainerPortName(workload.Protocol), ContainerPort = workload.ContainerPort, Protocol = "TCP" }],
                                Env = Environment(workload.Environment),
                                EnvFrom = hasConfig ? [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = ConfigMapName(workload) } }] : null,
                                Resources = Resources(workload.Resources),
                                LivenessProbe = Probe(workload.LivenessPath),
                                ReadinessProbe = Probe(workload.ReadinessPath),
                            },
                        ],
                    },
                },
            },
        };
    }

    /// <summary>
    /// A mesh service's Service: its port to the workloads' <c>http</c> port, named and with the
    /// <c>appProtocol</c> Istio selects the protocol by, and the sidecar's metrics port.
    /// </summary>
    public static V1Service Service(KubernetesAppModel model, string name, int port, ServiceProtocol protocol) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Meta(model, name, new Dictionary<string, string> { ["app"] = name }),
        Spec = new V1ServiceSpec
        {
            Selector = new Dictionary<string, string> { ["app"] = name },
            Ports =
            [
                // Istio picks the protocol from appProtocol, or else from the port name's prefix.
                new V1ServicePort { Name = PortName(protocol), AppProtocol = PortName(protocol), Port = port, TargetPort = ContainerPortName(protocol), Protocol = "TCP" },
                new V1ServicePort { Name = "http-envoy-prom", Port = EnvoyMetricsPort, TargetPort = EnvoyMetricsPort, Protocol = "TCP" },
            ],
        },
    };

    /// <summary>The name (and <c>appProtocol</c>) Istio reads <paramref name="protocol"/> from.</summary>
    public static string PortName(ServiceProtocol protocol) => protocol switch
    {
        ServiceProtocol.Http2 => "http2",
        ServiceProtocol.Grpc => "grpc",
        ServiceProtocol.Tcp => "tcp",
        _ => "http",
    };

    /// <summary>The name of a workload's container port, which its Service's port targets.</summary>
    public static string ContainerPortName(ServiceProtocol protocol) => protocol == ServiceProtocol.Tcp ? "tcp" : "http";

    /// <summary>The ConfigMap a workload's per-environment values go in.</summary>
    public static string ConfigMapName(WorkloadSpec workload) => $"{workload.Name}-config";

    internal static List<V1EnvVar>? Environment(IEnumerable<KeyValuePair<string, string>> environment) =>
        environment.Select(variable => new V1EnvVar { Name = variable.Key, Value = variable.Value }).ToList() is { Count: > 0 } list ? list : null;

    internal static V1ResourceRequirements Resources(ContainerResources resources)
    {
        var limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new(resources.MemoryLimit) };
        if (resources.CpuLimit is { } cpu)
        {
            limits["cpu"] = new ResourceQuantity(cpu);
        }

        return new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(resources.CpuRequest), ["memory"] = new(resources.MemoryRequest) },
            Limits = limits,
        };
    }

    private static V1Probe? Probe(string? path) => path is null
        ? null
        : new V1Probe { HttpGet = new V1HTTPGetAction { Path = path, Port = "http" }, PeriodSeconds = 10, FailureThreshold = 3 };

    /// <summary>Metadata in the model's namespace, marked as LocalMesh's.</summary>
    public static V1ObjectMeta Meta(KubernetesAppModel model, string name, IDictionary<string, string>? labels = null, string? @namespace = null)
    {
        var all = new Dictionary<string, string>(labels ?? new Dictionary<string, string>()) { [ManagedByLabel] = ManagedBy };
        return new V1ObjectMeta { Name = name, NamespaceProperty = @namespace ?? model.Mesh.Namespace, Labels = all };
    }
}
