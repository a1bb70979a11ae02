using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// A fault switched on while the app runs (from the dashboard or a test), for all of a
/// service's requests or only those with certain headers.
/// </summary>
/// <param name="Fault">The delay and/or abort.</param>
/// <param name="Headers">Request headers that must match exactly (e.g. <c>end-user=jason</c>); none means every request.</param>
public sealed record RuntimeFault(HttpFaultInjection Fault, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>A readable summary, e.g. <c>delay 7s at 100% when end-user=jason</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Fault.Delay is { } delay)
        {
            parts.Add($"delay {MeshDuration.Format(delay.FixedDelay)} at {delay.Percentage ?? 0}%");
        }

        if (Fault.Abort is { } abort)
        {
            parts.Add($"abort {abort.GrpcStatus ?? abort.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture)} at {abort.Percentage ?? 0}%");
        }

        var when = Headers is { Count: > 0 } ? $" when {string.Join(", ", Headers.Select(h => $"{h.Key}={h.Value}"))}" : "";
        return string.Join(", ", parts) + when;
    }

    /// <summary>
    /// The service's routes with this fault added the way an Istio user would write it: every
    /// route gets a copy, placed just before it, that also requires the fault's headers and
    /// carries the fault (and so, as in Istio, no timeout and no retries). Without headers, every
    /// route carries the fault itself.
    /// </summary>
    internal MeshServiceConfig ApplyTo(MeshServiceConfig service)
    {
        var routes = service.Http.IsDefaultOrEmpty
            ? [new HttpRoute { Name = "default", Route = [new HttpRouteDestination(new Destination(service.Name))] }]
            : service.Http;
        var faulted = ImmutableArray.CreateBuilder<HttpRoute>();
        for (var index = 0; index < routes.Length; index++)
        {
            var route = routes[index];
            if (route.Redirect is not null)
            {
                faulted.Add(route);
                continue;
            }

            var name = route.Name ?? $"route-{index}";
            if (Headers is not { Count: > 0 } headers)
            {
                faulted.Add(route with { Name = $"{name}-fault", Fault = Fault });
                continue;
            }

            var matches = route.Match is { Count: > 0 } ? route.Match : [new HttpMatchRequest()];
            faulted.Add(route with
            {
                Name = $"{name}-fault",
                Fault = Fault,
                Match = [.. matches.Select(match => match with { Headers = Merge(match.Headers, headers) })],
            });
            faulted.Add(route);
        }

        return service with { Http = faulted.ToImmutable() };
    }

    private static Dictionary<string, StringMatch> Merge(IReadOnlyDictionary<string, StringMatch>? existing, IReadOnlyDictionary<string, string> headers)
    {
        var merged = existing?.ToDictionary() ?? [];
        foreach (var (name, value) in headers)
        {
            merged[name.ToLowerInvariant()] = StringMatch.Exact(value);
        }

        return merged;
    }
}
