using System.Collections.Immutable;
using System.Globalization;
using System.Xml;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.Kubernetes.Import;

/// <summary>What a Knative Service in a file gives a function of the app model: its traffic and its scaling.</summary>
/// <param name="Traffic">The traffic targets; empty for all to the latest revision.</param>
/// <param name="Scaling">containerConcurrency and the <c>autoscaling.knative.dev/*</c> annotations, over Knative's defaults.</param>
/// <param name="From">The Knative Service.</param>
internal sealed record ImportedFunction(ImmutableArray<TrafficTargetSpec> Traffic, FunctionScaling Scaling, LoadedObject<KnativeServiceSpec> From);

/// <summary>The brokers' deliveries and the triggers of the files, with the objects they came from.</summary>
/// <param name="Deliveries">Each broker's delivery, by broker name.</param>
/// <param name="Triggers">Each trigger with its broker's name.</param>
internal sealed record ImportedEventing(
    IReadOnlyDictionary<string, (DeliverySpec? Delivery, LoadedObject<KnativeBrokerSpec> From)> Deliveries,
    IReadOnlyList<(string Broker, TriggerConfig Trigger, LoadedObject<KnativeTriggerSpec> From)> Triggers);

/// <summary>
/// Knative's Service, Broker and Trigger read from files for the functions and brokers the app
/// model has: the inverse of <see cref="KnativeExporter"/>, each value checked where it is, as
/// Knative's webhook checks it (percentages, tags, scaling bounds are checked with the C# model's own rules).
/// </summary>
internal static class KnativeImporter
{
    private const string Autoscaling = "autoscaling.knative.dev/";

    /// <summary>The autoscaling annotations Knative defines that the emulator does not apply (it scales on concurrency with the KPA).</summary>
    private static readonly string[] NotEmulated = ["class", "metric", "panic-window-percentage", "panic-threshold-percentage", "target-burst-capacity", "activation-scale", "scale-down-delay-window"];

    /// <summary>The files' Knative Services for the app model's functions, by function name.</summary>
    /// <param name="files">The files, read.</param>
    /// <param name="functions">Each function's revisions, oldest first, by function name.</param>
    /// <param name="findings">Where problems go.</param>
    public static IReadOnlyDictionary<string, ImportedFunction> ImportFunctions(
        ConfigurationFiles files, IReadOnlyDictionary<string, IReadOnlyList<string>> functions, List<ConfigFinding> findings)
    {
        var imported = new Dictionary<string, ImportedFunction>(StringComparer.Ordinal);
        foreach (var loaded in files.KnativeServices)
        {
            var report = new Report(loaded.At, loaded.Document.Object(files.DefaultNamespace), findings);
            var name = loaded.Document.Name;
            var spec = loaded.Spec;
            if ((loaded.Document.Namespace ?? files.DefaultNamespace) != files.DefaultNamespace || !functions.TryGetValue(name, out var revisions))
            {
                // Another team's function, or a container image: the cluster runs it, the local app does not.
                // Checked as Knative's webhook checks it, and carried to the export as it is.
                var targets = Traffic(spec, report);
                KnativeTraffic.Validate(targets, revisions: null, "spec.traffic", report.Error);
                CheckScaling(Scaling(spec.Template, report), report);
                report.Warning("metadata.name", $"is no function of the app model in '{files.DefaultNamespace}', so it does not run locally; it is carried to the export as it is.",
                    $"to run it locally, add the function with mesh.AddFunction<Projects.X>(\"{name}\"){(functions.Count == 0 ? "" : $" (the app's functions: {string.Join(", ", functions.Keys.Order(StringComparer.Ordinal))})")}.");
                files.Carried.Add(loaded.Document);
                continue;
            }

            var traffic = Traffic(spec, report);
            for (var index = 0; index < traffic.Length; index++)
            {
                if (traffic[index].RevisionName is { } revision && !revisions.Contains(revision, StringComparer.Ordinal))
                {
                    report.Error($"spec.traffic[{index}].revisionName", $"'{revision}' is not a revision of '{name}' ({string.Join(", ", revisions)}).",
                        $"name one of its revisions (WithRevision adds them), or write latestRevision: true.");
                }
            }

            var template = spec.Template;
            if (template.Metadata.Name is { } templateName && templateName != revisions[^1])
            {
                report.Error("spec.template.metadata.name", $"'{templateName}' is not the latest revision of '{name}' ({revisions[^1]}); the template is the revision the app model builds last.",
                    $"write {revisions[^1]}, or leave the name out.");
            }

            imported[name] = new ImportedFunction(traffic, Scaling(template, report), loaded);
        }

        return imported;
    }

    /// <summary>A Service's traffic targets as written, each checked on its own.</summary>
    private static ImmutableArray<TrafficTargetSpec> Traffic(KnativeServiceSpec spec, Report report) =>
        (spec.Traffic ?? []).Select((target, index) =>
            {
                var field = $"spec.traffic[{index}]";
                if (target.RevisionName is not null && target.LatestRevision == true)
                {
                    report.Error($"{field}.latestRevision", "is true together with revisionName.", "keep one: a revision by name, or the latest.");
                }

                return new TrafficTargetSpec(target.RevisionName, (int)Math.Clamp(target.Percent, int.MinValue, int.MaxValue), target.Tag);
            }).ToImmutableArray();

    /// <summary>The checks the app model's functions get from the mesh's validator, for a Service the app does not run: each at its field.</summary>
    private static void CheckScaling(FunctionScaling scaling, Report report)
    {
        var errors = new List<ConfigError>();
        FunctionScalingValidator.Validate(scaling, new ConfigReport("", errors, [], []));
        foreach (var error in errors)
        {
            var field = error.Field == "containerConcurrency" ? "spec.template.spec.containerConcurrency" : $"spec.template.metadata.annotations.{error.Field}";
            report.Error(field, error.Problem, error.Fix);
        }
    }

    /// <summary>The files' Brokers and Triggers for the app model's brokers.</summary>
    /// <param name="files">The files, read.</param>
    /// <param name="brokers">The app model's brokers.</param>
    /// <param name="findings">Where problems go.</param>
    public static ImportedEventing ImportEventing(ConfigurationFiles files, IReadOnlyCollection<string> brokers, List<ConfigFinding> findings)
    {
        var deliveries = new Dictionary<string, (DeliverySpec?, LoadedObject<KnativeBrokerSpec>)>(StringComparer.Ordinal);
        foreach (var loaded in files.KnativeBrokers)
        {
            var report = new Report(loaded.At, loaded.Document.Object(files.DefaultNamespace), findings);
            if (!brokers.Contains(loaded.Document.Name) || (loaded.Document.Namespace ?? files.DefaultNamespace) != files.DefaultNamespace)
            {
                report.Error("metadata.name", $"is no broker of the app model in '{files.DefaultNamespace}'.",
                    $"name one of: {string.Join(", ", brokers.Order(StringComparer.Ordinal))}, or add it with mesh.AddBroker(\"{loaded.Document.Name}\").");
                continue;
            }

            deliveries[loaded.Document.Name] = (Delivery(loaded.Spec.Delivery, "spec.delivery", report), loaded);
        }

        var triggers = new List<(string, TriggerConfig, LoadedObject<KnativeTriggerSpec>)>();
        foreach (var loaded in files.KnativeTriggers)
        {
            var report = new Report(loaded.At, loaded.Document.Object(files.DefaultNamespace), findings);
            var spec = loaded.Spec;
            if (!brokers.Contains(spec.Broker))
            {
                report.Error("spec.broker", $"'{spec.Broker}' is no broker of the app model.",
                    $"name one of: {string.Join(", ", brokers.Order(StringComparer.Ordinal))}, or add it with mesh.AddBroker(\"{spec.Broker}\").");
                continue;
            }

            triggers.Add((spec.Broker, new TriggerConfig(loaded.Document.Name, Sink(spec.Subscriber, "spec.subscriber", report) ?? "")
            {
                Filter = spec.Filter?.Attributes.ToImmutableDictionary() ?? ImmutableDictionary<string, string>.Empty,
                Path = spec.Subscriber.Uri,
                Delivery = Delivery(spec.Delivery, "spec.delivery", report),
            }, loaded));
        }

        return new ImportedEventing(deliveries, triggers);
    }

    private static FunctionScaling Scaling(KnativeRevisionTemplate template, Report report)
    {
        var scaling = new FunctionScaling { ContainerConcurrency = (int)Math.Clamp(template.Spec.ContainerConcurrency ?? 0, int.MinValue, int.MaxValue) };
        foreach (var (key, value) in template.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            if (!key.StartsWith(Autoscaling, StringComparison.Ordinal))
            {
                continue;
            }

            var name = key[Autoscaling.Length..];
            var field = $"spec.template.metadata.annotations.{key}";
            int Whole() => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : Invalid<int>("a whole number", "\"3\"");
            TimeSpan Duration() => MeshDuration.TryParse(value, out var duration) ? duration : Invalid<TimeSpan>("a duration", "\"60s\"");
            T Invalid<T>(string expected, string example)
            {
                report.Error(field, $"'{value}' is not {expected}.", $"write {expected}, e.g. {example}.");
                return default!;
            }

            scaling = name switch
            {
                "min-scale" => scaling with { MinScale = Whole() },
                "max-scale" => scaling with { MaxScale = Whole() },
                "initial-scale" => scaling with { InitialScale = Whole() },
                "target" => scaling with { Target = Whole() },
                "target-utilization-percentage" => scaling with
                {
                    TargetUtilizationPercentage = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) ? percent : Invalid<double>("a percentage", "\"70\""),
                },
                "window" => scaling with { Window = Duration() },
                "scale-down-delay" => scaling with { ScaleDownDelay = Duration() },
                "scale-to-zero-pod-retention-period" => scaling with { ScaleToZeroPodRetentionPeriod = Duration() },
                _ => NotApplied(name, field, value, scaling),
            };
        }

        return scaling;

        FunctionScaling NotApplied(string name, string field, string value, FunctionScaling unchanged)
        {
            if (NotEmulated.Contains(name))
            {
                report.Warning(field, "is kept for the cluster and not emulated locally (the mesh scales on concurrency, as Knative's default KPA does).", "nothing to do; the export writes it unchanged.");
            }
            else
            {
                report.Error(field, $"'{name}' is not an autoscaling annotation Knative defines.",
                    "use min-scale, max-scale, initial-scale, target, target-utilization-percentage, window, scale-down-delay or scale-to-zero-pod-retention-period.");
            }

            return unchanged;
        }
    }

    private static DeliverySpec? Delivery(KnativeDelivery? delivery, string field, Report report)
    {
        if (delivery is null)
        {
            return null;
        }

        BackoffPolicy? policy = delivery.BackoffPolicy switch
        {
            null => null,
            "exponential" => BackoffPolicy.Exponential,
            "linear" => BackoffPolicy.Linear,
            var other => report.Error<BackoffPolicy?>($"{field}.backoffPolicy", $"'{other}' is not a back-off policy.", "use exponential or linear."),
        };
        return new DeliverySpec
        {
            Retry = delivery.Retry,
            BackoffPolicy = policy,
            BackoffDelay = IsoDuration(delivery.BackoffDelay, $"{field}.backoffDelay", report),
            Timeout = IsoDuration(delivery.Timeout, $"{field}.timeout", report),
            DeadLetterSink = delivery.DeadLetterSink is { } sink ? Sink(sink, $"{field}.deadLetterSink", report) : null,
        };
    }

    /// <summary>The mesh service or function a destination refers to (a Knative Service or a Kubernetes Service by name).</summary>
    private static string? Sink(KnativeDestination destination, string field, Report report)
    {
        var reference = destination.Ref;
        if (reference.Name.Length == 0)
        {
            report.Error($"{field}.ref", "names no service.", "refer to a function (apiVersion: serving.knative.dev/v1, kind: Service) or a mesh service (apiVersion: v1, kind: Service) by name.");
            return null;
        }

        if ((reference.ApiVersion, reference.Kind) is not (("serving.knative.dev/v1", "Service") or ("v1", "Service")))
        {
            report.Error($"{field}.ref.kind", $"{reference.ApiVersion} {reference.Kind} is not a sink the mesh delivers to.",
                "refer to a function (apiVersion: serving.knative.dev/v1, kind: Service) or a mesh service (apiVersion: v1, kind: Service).");
        }

        return reference.Name;
    }

    /// <summary>Knative writes delivery durations in ISO 8601 (<c>PT0.2S</c>).</summary>
    private static TimeSpan? IsoDuration(string? text, string field, Report report)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            report.Error(field, $"'{text}' is not an ISO 8601 duration.", "write one as Knative does, e.g. PT0.2S or PT1M.");
            return null;
        }
    }

    /// <summary>Adds one object's findings, each at its field's line.</summary>
    private sealed class Report(Func<string, SourceLocation> at, string objectName, List<ConfigFinding> findings)
    {
        public void Error(string field, string problem, string fix) => findings.Add(new(FindingSeverity.Error, at(field), objectName, field, problem, fix));

        /// <summary>Adds an error; the default value stands for the value it is about.</summary>
        public T? Error<T>(string field, string problem, string fix)
        {
            Error(field, problem, fix);
            return default;
        }

        public void Warning(string field, string problem, string fix) => findings.Add(new(FindingSeverity.Warning, at(field), objectName, field, problem, fix));
    }
}
