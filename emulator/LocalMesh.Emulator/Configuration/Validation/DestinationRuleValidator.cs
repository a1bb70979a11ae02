namespace LocalMesh.Emulator.Configuration;

/// <summary>The checks of a DestinationRule: subsets, load balancer, connection pool, outlier detection.</summary>
internal static class DestinationRuleValidator
{
    /// <summary>
    /// A service of the mesh is reached over the mesh's own mutual TLS (auto mTLS, Istio's
    /// ISTIO_MUTUAL); any other TLS a rule asks for applies to hosts outside the mesh only.
    /// </summary>
    public static void ValidateMeshTls(MeshServiceConfig service, ConfigReport report)
    {
        var policies = new List<(TrafficPolicy? Policy, string Field)> { (service.DestinationRule?.TrafficPolicy, "trafficPolicy") };
        policies.AddRange((service.DestinationRule?.Subsets ?? []).Select((subset, index) => (subset.TrafficPolicy, $"subsets[{index}].trafficPolicy")));
        foreach (var (policy, field) in policies)
        {
            var settings = new[] { (policy?.Tls, $"{field}.tls") }
                .Concat((policy?.PortLevelSettings ?? []).Select((port, index) => (port.Tls, $"{field}.portLevelSettings[{index}].tls")));
            foreach (var (tls, at) in settings.Where(pair => pair.Item1 is { Mode: not ClientTlsMode.IstioMutual }))
            {
                report.Warning($"{at}.mode", $"{tls!.Mode.ToString().ToUpperInvariant()} is kept for the cluster and not emulated: the mesh's sidecars speak mutual TLS to each other, as Istio's auto mTLS (ISTIO_MUTUAL) does.",
                    "nothing to do for the cluster; locally, TLS origination applies to ServiceEntry hosts.");
            }
        }
    }

    public static void Validate(MeshServiceConfig service, ConfigReport report)
    {
        if (service.DestinationRule is not { } rule)
        {
            return;
        }

        ValidatePolicy(rule.TrafficPolicy, "trafficPolicy", service.Name, report);
        var subsets = rule.Subsets ?? [];
        for (var index = 0; index < subsets.Count; index++)
        {
            var subset = subsets[index];
            var field = $"subsets[{index}]";
            if (string.IsNullOrWhiteSpace(subset.Name))
            {
                report.Error($"{field}.name", "is empty.", "give the subset a name, e.g. \"v1\".");
            }
            else if (!IsDnsLabel(subset.Name))
            {
                // istiod's own check: "subset name is invalid".
                report.Error($"{field}.name", $"'{subset.Name}' is not a DNS-1123 label, so istiod rejects it (subset name is invalid).",
                    "use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters, e.g. v1.");
            }
            else if (subsets.Take(index).Any(other => other.Name == subset.Name))
            {
                report.Error($"{field}.name", $"'{subset.Name}' is declared twice.", "give each subset a name of its own.");
            }

            if (subset.Labels.Count == 0)
            {
                report.Error($"{field}.labels", "is empty, so the subset would be the whole service.", "select endpoints by label, e.g. version: v1.");
            }

            ValidatePolicy(subset.TrafficPolicy, $"{field}.trafficPolicy", service.Name, report);
        }
    }

    private static void ValidatePolicy(TrafficPolicy? policy, string field, string service, ConfigReport report)
    {
        if (policy is { LoadBalancer: null, ConnectionPool: null, OutlierDetection: null, Tls: null, PortLevelSettings: null })
        {
            report.Error(field, "is empty; istiod rejects it (traffic policy must have at least one field).", "give it a setting, or remove it.");
        }

        if (policy?.ConnectionPool is { Tcp: null, Http: null })
        {
            report.Error($"{field}.connectionPool", "is empty; istiod rejects it (connection pool must have at least one field).", "give it tcp or http settings, or remove it.");
        }

        foreach (var (settings, index) in (policy?.PortLevelSettings ?? []).Select((settings, index) => (settings, index)))
        {
            var at = $"{field}.portLevelSettings[{index}]";
            if (settings.Port is < 1 or > 65535)
            {
                report.Error($"{at}.port", "names no port from 1 to 65535; istiod rejects it (portTrafficPolicy must have valid port).", "give the port's number, e.g. port: {number: 443}.");
            }

            if (settings is { LoadBalancer: null, ConnectionPool: null, OutlierDetection: null, Tls: null })
            {
                report.Error(at, "has no setting; istiod rejects it (port traffic policy must have at least one field).", "give it a setting, or remove it.");
            }
            else
            {
                ValidatePolicy(new TrafficPolicy { LoadBalancer = settings.LoadBalancer, ConnectionPool = settings.ConnectionPool, OutlierDetection = settings.OutlierDetection, Tls = settings.Tls }, at, service, report);
            }
        }

        ValidateConnectionPool(policy?.ConnectionPool, $"{field}.connectionPool", service, report);
        ValidateOutlierDetection(policy?.OutlierDetection, $"{field}.outlierDetection", report);
        if (policy?.LoadBalancer is not { } loadBalancer)
        {
            return;
        }

        field += ".loadBalancer";
        if (loadBalancer.Simple is not null && loadBalancer.ConsistentHash is not null)
        {
            report.Error(field, "sets both simple and consistentHash.", "choose one of them.");
        }

        if (loadBalancer.Simple == SimpleLoadBalancer.Passthrough)
        {
            report.Notice(new MeshNotice(MeshNotice.Istio, $"{service}: {field}.simple: PASSTHROUGH sends traffic to the address the caller dialled; locally there is none, so ROUND_ROBIN is used."));
        }

        if (loadBalancer.ConsistentHash is { } hash)
        {
            var keys = new[] { hash.HttpHeaderName is not null, hash.HttpCookie is not null, hash.UseSourceIp, hash.HttpQueryParameterName is not null }.Count(set => set);
            if (keys != 1)
            {
                report.Error($"{field}.consistentHash", $"sets {keys} hash keys.", "set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName.");
            }

            if (hash.MinimumRingSize is <= 0)
            {
                report.Error($"{field}.consistentHash.minimumRingSize", "must be positive.", $"leave it unset for Envoy's default of {ConsistentHash.DefaultMinimumRingSize}.");
            }

            if (hash.HttpCookie is { } cookie && (string.IsNullOrWhiteSpace(cookie.Name) || cookie.Ttl < TimeSpan.Zero))
            {
                report.Error($"{field}.consistentHash.httpCookie", "needs a name and a non-negative ttl.", "e.g. new HttpCookie(\"user\", Ttl: TimeSpan.FromHours(1)).");
            }
        }
    }

    private static void ValidateConnectionPool(ConnectionPoolSettings? pool, string field, string service, ConfigReport report)
    {
        if (pool is null)
        {
            return;
        }

        foreach (var (name, value) in new (string, int?)[]
        {
            ("tcp.maxConnections", pool.Tcp?.MaxConnections),
            ("http.http2MaxRequests", pool.Http?.Http2MaxRequests),
            ("http.maxRequestsPerConnection", pool.Http?.MaxRequestsPerConnection),
        })
        {
            if (value < 1)
            {
                report.Error($"{field}.{name}", $"is {value}.", "use 1 or more, or leave it unset for no limit.");
            }
        }

        foreach (var (name, value) in new (string, int?)[] { ("http.http1MaxPendingRequests", pool.Http?.Http1MaxPendingRequests), ("http.maxRetries", pool.Http?.MaxRetries) })
        {
            if (value < 0)
            {
                report.Error($"{field}.{name}", $"is {value}.", "use 0 or more, or leave it unset for no limit.");
            }
        }

        if (pool.Tcp?.ConnectTimeout is { } connect && connect < TimeSpan.FromMilliseconds(1))
        {
            report.Error($"{field}.tcp.connectTimeout", $"is {connect}.", "use at least 1ms, or leave it unset for 10s.");
        }

        if (pool.Tcp?.IdleTimeout is { } tcpIdle && tcpIdle < TimeSpan.Zero)
        {
            report.Error($"{field}.tcp.idleTimeout", $"is {tcpIdle}.", "use 0s to disable it, a positive duration, or leave it unset for 1h.");
        }

        if (pool.Http?.IdleTimeout is { } idle && idle < TimeSpan.FromMilliseconds(1))
        {
            report.Error($"{field}.http.idleTimeout", $"is {idle}.", "use at least 1ms, or leave it unset for 1h.");
        }

        if (pool.Http?.MaxRequestsPerConnection > 1)
        {
            report.Notice(new MeshNotice(MeshNotice.Istio, $"{service}: {field}.http.maxRequestsPerConnection: only 1 (no keep-alive) is emulated; connections are reused without a count."));
        }
    }

    private static void ValidateOutlierDetection(OutlierDetection? detection, string field, ConfigReport report)
    {
        if (detection is null)
        {
            return;
        }

        if (detection.Consecutive5xxErrors < 0 || detection.ConsecutiveGatewayErrors < 0)
        {
            report.Error(field, "has a negative error count.", "use 0 (off) or more.");
        }

        foreach (var (name, value) in new (string, TimeSpan?)[] { ("interval", detection.Interval), ("baseEjectionTime", detection.BaseEjectionTime) })
        {
            if (value < TimeSpan.FromMilliseconds(1))
            {
                report.Error($"{field}.{name}", $"is {value}.", "use at least 1ms, or leave it unset for Istio's default.");
            }
        }

        foreach (var (name, value) in new (string, int?)[] { ("maxEjectionPercent", detection.MaxEjectionPercent), ("minHealthPercent", detection.MinHealthPercent) })
        {
            if (value is < 0 or > 100)
            {
                report.Error($"{field}.{name}", $"is {value}.", "use a percentage from 0 to 100.");
            }
        }
    }

    /// <summary>A DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.</summary>
    internal static bool IsDnsLabel(string name) =>
        name.Length <= 63 && name[0] is (>= 'a' and <= 'z') or (>= '0' and <= '9') && name[^1] is (>= 'a' and <= 'z') or (>= '0' and <= '9')
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}
