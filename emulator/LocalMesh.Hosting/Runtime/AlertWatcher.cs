using System.Globalization;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// Shows the state of each alert rule as the local Prometheus evaluates it (inactive, pending or
/// firing, with the series and value of each active alert): on the mesh and on Prometheus in the
/// dashboard, each active alert also on the service its <c>destination_service_name</c> label names,
/// and one line in the mesh's log when an alert starts pending, fires or resolves. Where
/// Prometheus is missing or stops, the mesh says why alerts are not evaluated; the app runs on.
/// </summary>
internal sealed class AlertWatcher(ResourceNotificationService notifications, MeshResource mesh, PrometheusResource? prometheus, IReadOnlyList<IResource> services, ILogger log)
{
    /// <summary>How often the rules' state is read: more often than Prometheus evaluates, so a change shows within a couple of seconds of it.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private const string Property = "mesh.alerts";
    private static readonly HashSet<string> StoppedStates = [KnownResourceStates.FailedToStart, KnownResourceStates.Exited, KnownResourceStates.Finished];

    private Dictionary<(string Rule, string Series), string> _active = [];
    private string? _shown;
    private readonly Dictionary<string, string> _shownOnServices = [];

    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        if (prometheus is null)
        {
            log.LogInformation("Alerts are not evaluated locally: {Hint}", LocalPrometheus.InstallHint);
            await ShowAsync($"not evaluated: {LocalPrometheus.InstallHint}", []);
            return;
        }

        await ShowAsync($"waiting for {prometheus.Name} to start", []);
        while (!cancellationToken.IsCancellationRequested)
        {
            var state = await notifications.WaitForResourceAsync(prometheus.Name, [KnownResourceStates.Running, .. StoppedStates], cancellationToken);
            if (StoppedStates.Contains(state))
            {
                log.LogWarning("{Prometheus} has stopped, so alerts are not evaluated; its console log says why. Start it again from the dashboard.", prometheus.Name);
                await ShowAsync($"not evaluated: {prometheus.Name} has stopped; its console log says why.", []);
                await notifications.WaitForResourceAsync(prometheus.Name, KnownResourceStates.Running, cancellationToken);
                continue;
            }

            await PollAsync(prometheus, cancellationToken);
        }
    }

    /// <summary>Shows the rules' state every <see cref="PollInterval"/> while Prometheus runs.</summary>
    private async Task PollAsync(PrometheusResource prometheus, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(prometheus.GetEndpoint(PrometheusResource.EndpointName).Url), Timeout = TimeSpan.FromSeconds(5) };
        string? unavailable = null;
        while (!cancellationToken.IsCancellationRequested
            && !(notifications.TryGetCurrentState(prometheus.Name, out var current) && StoppedStates.Contains(current.Snapshot.State?.Text ?? "")))
        {
            try
            {
                var rules = await http.GetFromJsonAsync<RulesResponse>("/api/v1/rules?type=alert", cancellationToken);
                await ShowAsync(null, rules?.Data.Groups.SelectMany(group => group.Rules).ToList() ?? []);
                unavailable = null;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
            {
                // Starting, reloading or stopping: said once, tried again.
                if (unavailable is null)
                {
                    unavailable = $"not evaluated: {prometheus.Name} does not answer ({ex.Message})";
                    await ShowAsync(unavailable, []);
                }
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Publishes the rules' state (or why there is none), and logs each alert that changed.</summary>
    private async Task ShowAsync(string? reason, IReadOnlyList<Rule> rules)
    {
        if (reason is null)
        {
            var active = rules.SelectMany(rule => rule.Alerts.Select(alert => (Key: (rule.Name, Series(alert)), alert))).ToDictionary(entry => entry.Key, entry => entry.alert.State);
            foreach (var ((rule, series), state) in active.Where(entry => _active.GetValueOrDefault(entry.Key) != entry.Value))
            {
                log.LogInformation("Alert {Alert} is {State}: {Series}.", rule, state, series);
            }

            foreach (var (rule, series) in _active.Keys.Where(key => !active.ContainsKey(key)))
            {
                log.LogInformation("Alert {Alert} is resolved: {Series}.", rule, series);
            }

            _active = active;
        }

        var summary = reason ?? (rules.Count == 0 ? "no alert rules" : string.Join(Environment.NewLine, rules.Select(rule => $"{rule.Name}: {State(rule)}")));
        if (summary == _shown)
        {
            return;
        }

        _shown = summary;
        await notifications.PublishUpdateAsync(mesh, state => state with
        {
            Properties = state.Properties.SetResourcePropertyRange([MeshDashboard.Shown(Property, "Alerts (local Prometheus)", summary, 8)]),
        });
        if (prometheus is not null && reason is null)
        {
            await ShowOnServicesAsync(rules);
            await notifications.PublishUpdateAsync(prometheus, state => state with
            {
                Properties = state.Properties.SetResourcePropertyRange(rules.Select((rule, index) => MeshDashboard.Shown($"alert.{rule.Name}", $"Alert {rule.Name}", State(rule), index))),
            });
        }
    }

    /// <summary>Each service's active alerts (by their <c>destination_service_name</c> label) on the service, <c>none</c> once they resolve.</summary>
    private async Task ShowOnServicesAsync(IReadOnlyList<Rule> rules)
    {
        foreach (var service in services)
        {
            var alerts = rules.SelectMany(rule => rule.Alerts
                    .Where(alert => alert.Labels.GetValueOrDefault("destination_service_name") == service.Name)
                    .Select(alert => $"{rule.Name}: {alert.State} (value {Value(alert.Value)})"))
                .ToList();
            var shown = alerts.Count == 0 ? "none" : string.Join(Environment.NewLine, alerts);
            if (_shownOnServices.TryGetValue(service.Name, out var was) && was == shown)
            {
                continue;
            }

            _shownOnServices[service.Name] = shown;
            await notifications.PublishUpdateAsync(service, state => state with
            {
                Properties = state.Properties.SetResourcePropertyRange([MeshDashboard.Shown(Property, "Alerts", shown, 12)]),
            });
        }
    }

    /// <summary>A rule's state, e.g. <c>firing — ratings (value 1, since 09:12:03)</c>.</summary>
    private static string State(Rule rule) =>
        rule.Health is "err" && rule.LastError is { Length: > 0 } error
            ? $"cannot be evaluated: {error}"
            : rule.Alerts.Count == 0
                ? "inactive"
                : $"{rule.State} — " + string.Join("; ", rule.Alerts.Select(alert =>
                    $"{Series(alert)} (value {Value(alert.Value)}{(alert.ActiveAt is { } since ? $", since {since.ToLocalTime():HH:mm:ss}" : "")}{(alert.State != rule.State ? $", {alert.State}" : "")})"));

    /// <summary>The alert's own labels (without its name and severity): a lone label by its value, e.g. <c>ratings</c>; several as <c>name=value</c>.</summary>
    private static string Series(ActiveAlert alert) =>
        alert.Labels.Where(label => label.Key is not ("alertname" or "severity")).ToList() switch
        {
            [] => "all series",
            [var only] => only.Value,
            var labels => string.Join(", ", labels.Select(label => $"{label.Key}={label.Value}")),
        };

    private static string Value(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number.ToString("0.###", CultureInfo.InvariantCulture) : value;

    // Prometheus's /api/v1/rules answer, the fields read here (camelCase, as GetFromJsonAsync's web defaults read them).
    private sealed record RulesResponse(RulesData Data);

    private sealed record RulesData(IReadOnlyList<RuleGroup> Groups);

    private sealed record RuleGroup(IReadOnlyList<Rule> Rules);

    private sealed record Rule(string Name, string State, string? Health, string? LastError, IReadOnlyList<ActiveAlert> Alerts);

    private sealed record ActiveAlert(IReadOnlyDictionary<string, string> Labels, string State, DateTimeOffset? ActiveAt, string Value);
}
