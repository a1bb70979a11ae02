using LocalMesh.Kubernetes.Export;

namespace LocalMesh.Kubernetes.Import;

/// <summary>
/// Knative's own checks of a Service's traffic targets, in its webhook's words: for the app model's
/// functions and for a file's Knative Services alike.
/// </summary>
internal static class KnativeTraffic
{
    /// <summary>Reports every problem of the traffic targets through <paramref name="error"/>.</summary>
    /// <param name="traffic">The targets as written (empty: all to the latest revision).</param>
    /// <param name="revisions">The revisions the Service has, when known; null for a Service the app model does not run.</param>
    /// <param name="field">The targets' field, e.g. <c>spec.traffic</c>.</param>
    /// <param name="error">Takes the field, the problem and the fix.</param>
    public static void Validate(IReadOnlyList<TrafficTargetSpec> traffic, IReadOnlyList<string>? revisions, string field, Action<string, string, string> error)
    {
        for (var index = 0; index < traffic.Count; index++)
        {
            var target = traffic[index];
            if (revisions is not null && target.RevisionName is { } name && !revisions.Contains(name, StringComparer.Ordinal))
            {
                error($"{field}[{index}].revisionName", $"'{name}' is not a revision of the function ({string.Join(", ", revisions)}).", "name one of its revisions, or leave it null for the latest.");
            }

            if (target.Percent is < 0 or > 100)
            {
                error($"{field}[{index}].percent", $"is {target.Percent}.", "use 0 to 100.");
            }

            if (target.Tag is { } tag && !KubernetesNames.IsValidDnsLabel(tag))
            {
                error($"{field}[{index}].tag", $"'{tag}' is not a DNS label.", $"use {KubernetesNames.DnsLabelRule}.");
            }
        }

        if (traffic.Count > 0 && traffic.Sum(target => target.Percent) is var sum and not 100)
        {
            // Knative's own words for it.
            error(field, $"Traffic targets sum to {sum}, want 100.", "make the percents add up to 100.");
        }

        foreach (var tag in traffic.Select(target => target.Tag).OfType<string>().GroupBy(tag => tag, StringComparer.Ordinal).Where(group => group.Count() > 1))
        {
            error($"{field}.tag", $"'{tag.Key}' is used more than once.", "give each tagged target its own tag.");
        }
    }
}
