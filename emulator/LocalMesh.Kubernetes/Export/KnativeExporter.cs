using System.Globalization;
using System.Xml;
using k8s.Models;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Kubernetes.Export;

/// <summary>Knative's objects: a Service per function, a Broker per broker and a Trigger per trigger.</summary>
internal static class KnativeExporter
{
    private const string Autoscaling = "autoscaling.knative.dev/";

    /// <summary>
    /// A function's Knative Service: its latest revision as the template (named, with the
    /// scaling annotations and <c>containerConcurrency</c>) and its traffic targets with tags.
    /// </summary>
    public static KnativeService Service(KubernetesAppModel model, FunctionSpec function)
    {
        var latest = function.Revisions[^1];
        var environment = function.Environment
            .Where(variable => !latest.Environment.ContainsKey(variable.Key))
            .Concat(latest.Environment.OrderBy(variable => variable.Key, StringComparer.Ordinal));
        return new KnativeService
        {
            Metadata = CoreExporter.Meta(model, function.Name),
            Spec = new KnativeServiceSpec
            {
                Template = new KnativeRevisionTemplate
                {
                    Metadata = new V1ObjectMeta { Name = latest.Name, Annotations = Annotations(function.Scaling) },
                    Spec = new KnativeRevisionSpec
                    {
                        ContainerConcurrency = function.Scaling.ContainerConcurrency,
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "function",
                                Image = function.Image,
                                ImagePullPolicy = "IfNotPresent",
                                Ports = [new V1ContainerPort { Name = "http1", ContainerPort = WorkloadSpec.DefaultContainerPort }],
                                Env = CoreExporter.Environment(environment),
                                Resources = CoreExporter.Resources(function.Resources),
                            },
                        ],
                    },
                },
                Traffic = function.Traffic.IsDefaultOrEmpty
                    ? null
                    : [.. function.Traffic.Select(target => new KnativeTrafficTarget
                    {
                        RevisionName = target.RevisionName,
                        LatestRevision = target.RevisionName is null ? true : null,
                        Percent = target.Percent,
                        Tag = target.Tag,
                    })],
            },
        };
    }

    /// <summary>The <c>autoscaling.knative.dev/*</c> annotations for what the model sets (defaults are left to Knative).</summary>
    public static Dictionary<string, string>? Annotations(FunctionScaling scaling)
    {
        var annotations = new Dictionary<string, string>();
        void Set(string name, object? value, object? unless = null)
        {
            if (value is not null && !value.Equals(unless))
            {
                annotations[Autoscaling + name] = value switch
                {
                    TimeSpan duration => MeshDuration.Format(duration),
                    IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                    _ => value.ToString()!,
                };
            }
        }

        Set("min-scale", scaling.MinScale, 0);
        Set("max-scale", scaling.MaxScale, 0);
        Set("initial-scale", scaling.InitialScale, 1);
        Set("target", scaling.Target);
        Set("target-utilization-percentage", scaling.TargetUtilizationPercentage);
        Set("window", scaling.Window);
        Set("scale-down-delay", scaling.ScaleDownDelay);
        Set("scale-to-zero-pod-retention-period", scaling.ScaleToZeroPodRetentionPeriod);
        return annotations.Count == 0 ? null : annotations;
    }

    /// <summary>A broker, with its delivery.</summary>
    public static KnativeBroker Broker(KubernetesAppModel model, BrokerConfig broker) => new()
    {
        Metadata = CoreExporter.Meta(model, broker.Name),
        Spec = new KnativeBrokerSpec { Delivery = Delivery(model, broker.Delivery) },
    };

    /// <summary>A trigger: the broker, the attribute filter, the subscriber and the delivery.</summary>
    public static KnativeTrigger Trigger(KubernetesAppModel model, BrokerConfig broker, TriggerConfig trigger) => new()
    {
        Metadata = CoreExporter.Meta(model, trigger.Name),
        Spec = new KnativeTriggerSpec
        {
            Broker = broker.Name,
            Filter = trigger.Filter.IsEmpty ? null : new KnativeFilter { Attributes = trigger.Filter.ToDictionary() },
            Subscriber = Destination(model, trigger.Subscriber, trigger.Path),
            Delivery = Delivery(model, trigger.Delivery),
        },
    };

    /// <summary>A reference to a function (a Knative Service) or a mesh service (a Kubernetes Service).</summary>
    private static KnativeDestination Destination(KubernetesAppModel model, string target, string? path) => new()
    {
        Ref = model.Functions.Any(function => function.Name == target)
            ? new KnativeReference { ApiVersion = "serving.knative.dev/v1", Kind = "Service", Name = target }
            : new KnativeReference { ApiVersion = "v1", Kind = "Service", Name = target },
        Uri = path is null or "/" ? null : path,
    };

    private static KnativeDelivery? Delivery(KubernetesAppModel model, DeliverySpec? delivery) => delivery is null
        ? null
        : new KnativeDelivery
        {
            Retry = delivery.Retry,
            BackoffPolicy = delivery.BackoffPolicy?.ToString().ToLowerInvariant(),
            BackoffDelay = delivery.BackoffDelay is { } delay ? XmlConvert.ToString(delay) : null,
            Timeout = delivery.Timeout is { } timeout ? XmlConvert.ToString(timeout) : null,
            DeadLetterSink = delivery.DeadLetterSink is { } sink ? Destination(model, sink, null) : null,
        };
}

/// <summary>Argo CD's Application, when the model names a repository.</summary>
internal static class ArgoCdExporter
{
    /// <summary>The namespace Argo CD runs in.</summary>
    public const string ArgoCdNamespace = "argocd";

    /// <summary>An Application syncing <paramref name="source"/> into the model's namespace, pruning and self-healing.</summary>
    public static ArgoCdApplication Application(KubernetesAppModel model, GitOpsSource source) => new()
    {
        Metadata = CoreExporter.Meta(model, model.Name, @namespace: ArgoCdNamespace),
        Spec = new ArgoCdApplicationSpec
        {
            Source = new ArgoCdSource { RepoURL = source.RepositoryUrl, Path = source.Path, TargetRevision = source.TargetRevision },
            Destination = new ArgoCdDestination { Server = "https://kubernetes.default.svc", Namespace = model.Mesh.Namespace },
            SyncPolicy = new ArgoCdSyncPolicy { Automated = new ArgoCdAutomated { Prune = true, SelfHeal = true }, SyncOptions = ["ServerSideApply=true"] },
        },
    };
}
