using System.Globalization;
using System.Text;
using k8s;

namespace LocalMesh.Kubernetes.Export;

/// <summary>
/// The mesh's alert on Istio's request metric: a service whose callers see more than
/// <see cref="Threshold"/> of their requests answered with 5xx over <see cref="Window"/>, for
/// <see cref="For"/>. The same rule is exported as a PrometheusRule and evaluated locally.
/// </summary>
internal sealed record ErrorRateAlert
{
    /// <summary>The alert's name.</summary>
    public const string Name = "MeshServiceHighErrorRate";

    /// <summary>5% of requests.</summary>
    public const double DefaultThreshold = 0.05;

    /// <summary>The rate is taken over five minutes, as Istio's own sample alerts do.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    /// <summary>How long the rate stays above the threshold before the alert fires.</summary>
    public static readonly TimeSpan DefaultFor = TimeSpan.FromMinutes(5);

    /// <summary>The alert with its defaults.</summary>
    public static readonly ErrorRateAlert Default = new();

    /// <summary>The share of requests answered with 5xx above which the alert is pending, between 0 and 1.</summary>
    public double Threshold { get; init; } = DefaultThreshold;

    /// <summary>The range of the rate, PromQL's <c>[window]</c>.</summary>
    public TimeSpan Window { get; init; } = DefaultWindow;

    /// <summary>How long the condition holds before the alert fires (the rule's <c>for</c>); zero fires at once.</summary>
    public TimeSpan For { get; init; } = DefaultFor;
}

/// <summary>The Prometheus operator's objects: how Istio's metrics are scraped, and the alert on them.</summary>
internal static class MonitoringExporter
{
    /// <summary>The rule group the mesh's own alerts are in.</summary>
    public const string RuleGroupName = "localmesh.rules";

    /// <summary>A ServiceMonitor for a service: its sidecars' Istio metrics (<c>/stats/prometheus</c> on <c>http-envoy-prom</c>).</summary>
    public static ServiceMonitor ServiceMonitor(KubernetesAppModel model, string service) => new()
    {
        Metadata = CoreExporter.Meta(model, service),
        Spec = new ServiceMonitorSpec
        {
            Selector = new k8s.Models.V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = service } },
            Endpoints = [new ServiceMonitorEndpoint { Port = "http-envoy-prom", Path = "/stats/prometheus", Interval = "15s" }],
        },
    };

    /// <summary>The mesh's alert rules as a PrometheusRule.</summary>
    public static PrometheusRule Rules(KubernetesAppModel model) => new()
    {
        Metadata = CoreExporter.Meta(model, $"{model.Name}-mesh"),
        Spec = new PrometheusRuleSpec { Groups = [RuleGroup(model.Mesh.Namespace, model.ErrorRateAlert)] },
    };

    /// <summary>
    /// The mesh's rule group for services in <paramref name="namespace"/>. The rate is read from the
    /// callers' side (<c>reporter="source"</c>): a fault is injected, and an overflow or a timeout
    /// answered, by the caller's sidecar, so the destination's sidecar never counts those requests.
    /// </summary>
    public static PrometheusRuleGroup RuleGroup(string @namespace, ErrorRateAlert alert)
    {
        var window = Duration(alert.Window);
        var requests = $"istio_requests_total{{reporter=\"source\",destination_service_namespace=\"{@namespace}\"";
        return new PrometheusRuleGroup
        {
            Name = RuleGroupName,
            Rules =
            [
                new PrometheusAlert
                {
                    Alert = ErrorRateAlert.Name,
                    Expr = string.Create(CultureInfo.InvariantCulture,
                        $"sum by (destination_service_name) (rate({requests},response_code=~\"5..\"}}[{window}])) / sum by (destination_service_name) (rate({requests}}}[{window}])) > {alert.Threshold}"),
                    For = Duration(alert.For),
                    Labels = new Dictionary<string, string> { ["severity"] = "warning" },
                    Annotations = new Dictionary<string, string>
                    {
                        ["summary"] = string.Create(CultureInfo.InvariantCulture,
                            $"{{{{ $labels.destination_service_name }}}} answers {{{{ $value | humanizePercentage }}}} of its requests with 5xx (threshold {alert.Threshold * 100:0.##}% over {window})."),
                    },
                },
            ],
        };
    }

    /// <summary>A Prometheus rules file (<c>rule_files</c>, what <c>promtool check rules</c> reads) holding <paramref name="groups"/>.</summary>
    public static string RulesFile(IEnumerable<PrometheusRuleGroup> groups) =>
        KubernetesYaml.Serialize(new PrometheusRuleSpec { Groups = [.. groups] });

    /// <summary>A duration as Prometheus writes one, e.g. <c>5m</c>, <c>1m30s</c>, <c>250ms</c>.</summary>
    public static string Duration(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        foreach (var (unit, length) in new[] { ("d", TimeSpan.FromDays(1)), ("h", TimeSpan.FromHours(1)), ("m", TimeSpan.FromMinutes(1)), ("s", TimeSpan.FromSeconds(1)), ("ms", TimeSpan.FromMilliseconds(1)) })
        {
            var count = duration.Ticks / length.Ticks;
            if (count > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{count}{unit}");
                duration -= TimeSpan.FromTicks(count * length.Ticks);
            }
        }

        return text.ToString();
    }
}
