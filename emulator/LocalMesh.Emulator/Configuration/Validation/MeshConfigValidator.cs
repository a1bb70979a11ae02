namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// Checks a whole <see cref="MeshConfig"/> before it is used, collecting every problem, so one
/// run reports all of them. Nothing is validated per request. Each kind of object has its own
/// validator (as YARP splits its route and cluster validators); this one checks how they fit
/// together and runs each.
/// </summary>
internal static class MeshConfigValidator
{
    /// <summary>Validates <paramref name="config"/>.</summary>
    public static ValidationResult Validate(MeshConfig config)
    {
        var errors = new List<ConfigError>();
        var warnings = new List<ConfigError>();
        var notices = new List<MeshNotice>();
        ConfigReport Report(string resource) => new(resource, errors, warnings, notices);

        ValidateTopology(config, Report);
        if (config.TraceSampling is < 0 or > 100 || double.IsNaN(config.TraceSampling))
        {
            Report("mesh").Error("traceSampling", $"is {config.TraceSampling}.", "use a percentage from 0 to 100 (Istio's randomSamplingPercentage), e.g. 100 to record every trace.");
        }

        if (config.AccessLog is { } encoding && !Enum.IsDefined(encoding))
        {
            Report("mesh").Error("accessLogEncoding", $"is {(int)encoding}, which Istio does not know.", "use AccessLogEncoding.Text or AccessLogEncoding.Json (Istio's TEXT and JSON), or WithoutAccessLog() for none.");
        }

        var services = config.Services.DistinctBy(service => service.Name).ToDictionary(service => service.Name, StringComparer.Ordinal);
        foreach (var service in config.Services)
        {
            var report = Report(service.Name);
            DestinationRuleValidator.Validate(service, report);
            DestinationRuleValidator.ValidateMeshTls(service, report);
            VirtualServiceValidator.Validate(service.Http, services, report);
            VirtualServiceValidator.ValidateTcp(service, services, report);
        }

        foreach (var entry in config.ServiceEntries)
        {
            ServiceEntryValidator.Validate(entry, Report($"serviceentry/{entry.Name}"));
        }

        // A ServiceEntry's hosts are destinations too, on any of the entry's ports (port 0: not checked against one).
        var entryHosts = config.ServiceEntries.SelectMany(entry => entry.Hosts).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var destinations = new Dictionary<string, MeshServiceConfig>(services, StringComparer.Ordinal);
        foreach (var host in entryHosts)
        {
            destinations.TryAdd(host, new MeshServiceConfig(host) { Port = 0, DestinationRule = config.ExternalServices.FirstOrDefault(rules => rules.Name.Equals(host, StringComparison.OrdinalIgnoreCase))?.DestinationRule });
        }

        foreach (var external in config.ExternalServices)
        {
            var report = Report(external.Name);
            if (!entryHosts.Contains(external.Name))
            {
                report.Warning("host", $"Referenced host not found: \"{external.Name}\"; no service or ServiceEntry has it, so its rules apply to no call.", "add a ServiceEntry for the host, or correct the host.", "IST0101");
            }

            DestinationRuleValidator.Validate(external, report);
            VirtualServiceValidator.Validate(external.Http, destinations, report);
            VirtualServiceValidator.ValidateTcpRoutes(external, destinations, report);
        }

        foreach (var gateway in config.Gateways)
        {
            GatewayValidator.Validate(gateway, Report($"gateway/{gateway.Name}"));
        }

        foreach (var virtualService in config.GatewayVirtualServices)
        {
            var report = Report($"virtualservice/{virtualService.Name}");
            if (virtualService.Hosts.IsDefaultOrEmpty)
            {
                report.Error("hosts", "is empty.", "name the hosts the gateway serves with these routes, e.g. hosts: [\"*\"].");
            }

            VirtualServiceValidator.Validate(virtualService.Http, services, report);
        }

        foreach (var workload in config.Workloads.Where(workload => workload.Scaling is not null))
        {
            // Named as the user wrote it: the function, then the revision the scaling belongs to.
            FunctionScalingValidator.Validate(workload.Scaling!, Report($"{workload.Service} (revision {workload.Name})"));
        }

        if (config.Workloads.Any(workload => workload.Scaling is not null))
        {
            notices.Add(new MeshNotice(MeshNotice.Knative, "functions: the activator stays in every request's path (Knative's target-burst-capacity -1), so the last instance stops after the idle window without Knative's scale-to-zero grace period."));
        }

        if (config.Brokers.Length > 0)
        {
            notices.Add(new MeshNotice(MeshNotice.Knative, "brokers: reply events (a 200 with a CloudEvent in it) are accepted as success but not routed back into the broker."));
        }

        foreach (var broker in config.Brokers)
        {
            BrokerValidator.Validate(broker, services, Report($"broker/{broker.Name}"));
        }

        foreach (var policy in config.AuthorizationPolicies)
        {
            AuthorizationPolicyValidator.Validate(policy, config, Report($"authorizationpolicy/{policy.Name}"));
        }

        return new ValidationResult(errors, notices) { Warnings = warnings };
    }

    /// <summary>
    /// How the parts refer to each other: names are unique, each workload serves a service that
    /// exists, each listener belongs to a workload and sends to a service that exist.
    /// </summary>
    private static void ValidateTopology(MeshConfig config, Func<string, ConfigReport> report)
    {
        void Unique<T>(IEnumerable<T> items, Func<T, string> name, string kind)
        {
            foreach (var twice in items.GroupBy(name, StringComparer.Ordinal).Where(group => group.Count() > 1))
            {
                report(twice.Key).Error("name", $"names {twice.Count()} {kind}s.", $"give each {kind} its own name.");
            }
        }

        Unique(config.Services, service => service.Name, "service");
        Unique(config.Workloads, workload => workload.Name, "workload");
        Unique(config.Listeners, listener => listener.Name, "listener");
        Unique(config.Brokers, broker => broker.Name, "broker");
        Unique(config.Gateways, gateway => gateway.FullName(config.Namespace), "Gateway");

        var services = config.Services.Select(service => service.Name).ToHashSet(StringComparer.Ordinal);
        var workloads = config.Workloads.Select(workload => workload.Name).ToHashSet(StringComparer.Ordinal);
        string Known(IEnumerable<string> names) => string.Join(", ", names.Order(StringComparer.Ordinal));
        foreach (var workload in config.Workloads.Where(workload => workload.Service is { } service && !services.Contains(service)))
        {
            report(workload.Name).Error("service", $"'{workload.Service}' is no service of the mesh.", $"serve one of: {Known(services)}.");
        }

        foreach (var listener in config.Listeners)
        {
            // An inbound or outbound listener belongs to a workload; an ingress gateway and a broker name themselves.
            if (listener.Kind is ListenerKind.Inbound or ListenerKind.Outbound && !workloads.Contains(listener.Workload ?? ""))
            {
                report($"listener/{listener.Name}").Error("workload", $"'{listener.Workload}' is no workload of the mesh.", $"use one of: {Known(workloads)}.");
            }

            if (listener.Kind is ListenerKind.Outbound or ListenerKind.Service && !services.Contains(listener.Destination ?? "")
                || (listener.Kind == ListenerKind.Ingress && listener.Destination is { } exposed && !services.Contains(exposed)))
            {
                report($"listener/{listener.Name}").Error("destination", $"'{listener.Destination}' is no service of the mesh.", $"send to one of: {Known(services)}.");
            }
        }
    }
}
