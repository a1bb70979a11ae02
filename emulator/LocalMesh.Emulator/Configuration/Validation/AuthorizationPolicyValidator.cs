namespace LocalMesh.Emulator.Configuration;

/// <summary>The checks of an AuthorizationPolicy: principals, addresses, ports and the condition keys the emulator evaluates.</summary>
internal static class AuthorizationPolicyValidator
{
    private const string SpiffeScheme = "spiffe://";

    public static void Validate(AuthorizationPolicy policy, MeshConfig config, ConfigReport report)
    {
        // Who can be a caller: every workload's service account, and each ingress gateway's.
        var serviceAccounts = config.Workloads.Select(workload => workload.ServiceAccount)
            .Concat(config.Listeners.Where(listener => listener.Kind == ListenerKind.Ingress).Select(listener => listener.Workload!))
            .ToHashSet(StringComparer.Ordinal);
        var rules = policy.Rules ?? [];
        if (policy.Action == AuthorizationAction.Deny && policy.Rules is null)
        {
            report.Error("rules", "are missing; istiod rejects it (DENY action without `rules` is meaningless as it will never be triggered).", "add the rules it denies, or an empty rule {} to deny every request.");
        }

        for (var index = 0; index < rules.Count; index++)
        {
            var rule = rules[index];
            ValidateShape(rule, policy.Action, $"rules[{index}]", report);
            foreach (var (source, at) in (rule.From ?? []).Select((source, at) => (source, at)))
            {
                foreach (var (principals, field) in new[] { (source.Principals, "principals"), (source.NotPrincipals, "notPrincipals") })
                {
                    foreach (var principal in principals ?? [])
                    {
                        ValidatePrincipal(principal, $"rules[{index}].from[{at}].source.{field}", config, serviceAccounts, report);
                    }
                }

                foreach (var block in (source.IpBlocks ?? []).Concat(source.NotIpBlocks ?? []))
                {
                    if (!System.Net.IPNetwork.TryParse(block, out _) && !System.Net.IPAddress.TryParse(block, out _))
                    {
                        report.Error($"rules[{index}].from[{at}].source.ipBlocks", $"'{block}' is not an address or CIDR block.", "write e.g. 10.0.0.0/8 or 127.0.0.1.");
                    }
                }
            }

            foreach (var (operation, at) in (rule.To ?? []).Select((operation, at) => (operation, at)))
            {
                foreach (var port in (operation.Ports ?? []).Concat(operation.NotPorts ?? []))
                {
                    if (!int.TryParse(port, out var number) || number is < 1 or > 65535)
                    {
                        report.Error($"rules[{index}].to[{at}].operation.ports", $"'{port}' is not a port.", "use a number from 1 to 65535.");
                    }
                }
            }

            foreach (var (condition, at) in (rule.When ?? []).Select((condition, at) => (condition, at)))
            {
                if (!AuthorizationCondition.IsKnownKey(condition.Key))
                {
                    report.Error($"rules[{index}].when[{at}].key", $"'{condition.Key}' is not a condition LocalMesh knows.",
                        "use request.headers[<name>], source.principal, source.namespace, source.ip or destination.port.");
                }

                if (condition.Values is null && condition.NotValues is null)
                {
                    report.Error($"rules[{index}].when[{at}]", "has neither values nor notValues.", "give the values the attribute must (not) have.");
                }
            }
        }
    }

    /// <summary>
    /// istiod's checks of a rule's shape: a <c>from</c> or <c>to</c> that is there is not empty, nor
    /// is a source or operation in it, no value is an empty string; a DENY rule of HTTP attributes
    /// alone also denies every connection to a TCP port (istiod's warning).
    /// </summary>
    private static void ValidateShape(AuthorizationRule rule, AuthorizationAction action, string field, ConfigReport report)
    {
        var tcpFrom = rule.From?.Any(source => (source.Principals ?? source.NotPrincipals ?? source.Namespaces ?? source.NotNamespaces ?? source.IpBlocks ?? source.NotIpBlocks) is not null) == true;
        var tcpTo = rule.To?.Any(operation => (operation.Ports ?? operation.NotPorts) is not null) == true;
        if (action == AuthorizationAction.Deny && ((rule.From is { Count: > 0 } && rule.To is null && !tcpFrom) || (rule.To is { Count: > 0 } && !tcpTo)))
        {
            report.Warning(field, "uses HTTP attributes only, so it denies every connection to TCP ports under the policy's scope (istiod: configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule).",
                "name the port (to.operation.ports) the rule is for.");
        }

        if (rule.From is { Count: 0 })
        {
            report.Error($"{field}.from", "is empty; istiod rejects it (`from` must not be empty).", "list the sources, or remove from.");
        }

        if (rule.To is { Count: 0 })
        {
            report.Error($"{field}.to", "is empty; istiod rejects it (`to` must not be empty).", "list the operations, or remove to.");
        }

        foreach (var (source, at) in (rule.From ?? []).Select((source, at) => (source, at)))
        {
            var lists = new (string Name, IReadOnlyList<string>? Values)[]
            {
                ("principals", source.Principals), ("notPrincipals", source.NotPrincipals), ("namespaces", source.Namespaces),
                ("notNamespaces", source.NotNamespaces), ("ipBlocks", source.IpBlocks), ("notIpBlocks", source.NotIpBlocks),
            };
            ValidateLists(lists, $"{field}.from[{at}].source", "`from.source` must not be empty", report);
        }

        foreach (var (operation, at) in (rule.To ?? []).Select((operation, at) => (operation, at)))
        {
            var lists = new (string Name, IReadOnlyList<string>? Values)[]
            {
                ("hosts", operation.Hosts), ("notHosts", operation.NotHosts), ("ports", operation.Ports), ("notPorts", operation.NotPorts),
                ("methods", operation.Methods), ("notMethods", operation.NotMethods), ("paths", operation.Paths), ("notPaths", operation.NotPaths),
            };
            ValidateLists(lists, $"{field}.to[{at}].operation", "`to.operation` must not be empty", report);
        }

        static void ValidateLists((string Name, IReadOnlyList<string>? Values)[] lists, string field, string istiod, ConfigReport report)
        {
            if (lists.All(list => list.Values is null or { Count: 0 }))
            {
                report.Error(field, $"is empty; istiod rejects it ({istiod}).", "give it at least one field, or remove it.");
            }

            foreach (var (name, values) in lists.Where(list => list.Values?.Any(value => value.Length == 0) == true))
            {
                report.Error($"{field}.{name}", "has an empty value; istiod rejects it (empty value not allowed).", "remove the empty entry.");
            }
        }
    }

    /// <summary>
    /// A principal as Istio writes it, <c>&lt;trust-domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service-account&gt;</c>,
    /// <c>*</c>, or with <c>*</c> as its prefix or suffix; one that can never match, or names a
    /// service account no workload has, is a warning (istiod accepts them).
    /// </summary>
    private static void ValidatePrincipal(string principal, string field, MeshConfig config, HashSet<string> serviceAccounts, ConfigReport report)
    {
        if (principal.Length == 0)
        {
            return; // istiod's own error: see ValidateShape
        }

        if (principal.Any(char.IsWhiteSpace))
        {
            report.Warning(field, $"'{principal}' has white space, so it matches no caller.", "remove the spaces; write e.g. cluster.local/ns/default/sa/productpage.");
            return;
        }

        if (principal.StartsWith(SpiffeScheme, StringComparison.Ordinal))
        {
            report.Warning(field, $"'{principal}' starts with spiffe://, which Istio's principals leave out, so it matches no caller.", $"write '{principal[SpiffeScheme.Length..]}'.");
            return;
        }

        if (principal == "*")
        {
            return;
        }

        var wildcard = principal.StartsWith('*') || principal.EndsWith('*');
        if (principal.Trim('*').Contains('*'))
        {
            report.Warning(field, $"'{principal}' has a * inside it, which Istio matches literally (only a prefix or suffix * is a wildcard), so it matches no caller.", "use a prefix (*/sa/productpage) or a suffix (cluster.local/ns/default/*).");
            return;
        }

        if (wildcard)
        {
            return;
        }

        var parts = principal.Split('/');
        if (parts is not [{ Length: > 0 }, "ns", { Length: > 0 }, "sa", { Length: > 0 }])
        {
            report.Warning(field, $"'{principal}' is not a principal (<trust-domain>/ns/<namespace>/sa/<service-account>), so it matches no caller.",
                $"write e.g. {config.TrustDomain}/ns/{config.Namespace}/sa/productpage.");
            return;
        }

        if (parts[0] == config.TrustDomain && parts[2] == config.Namespace && !serviceAccounts.Contains(parts[4]))
        {
            report.Warning(field, $"'{principal}' names service account '{parts[4]}', which no workload of the mesh runs as, so it matches no caller.",
                $"use one of: {string.Join(", ", serviceAccounts.Order(StringComparer.Ordinal).Select(account => $"{config.TrustDomain}/ns/{config.Namespace}/sa/{account}"))}.");
        }
    }
}
