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
        for (var index = 0; index < rules.Count; index++)
        {
            var rule = rules[index];
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
    /// A principal as Istio writes it, <c>&lt;trust-domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service-account&gt;</c>,
    /// <c>*</c>, or with <c>*</c> as its prefix or suffix; one that can never match is an error, one
    /// naming a service account no workload has is a warning.
    /// </summary>
    private static void ValidatePrincipal(string principal, string field, MeshConfig config, HashSet<string> serviceAccounts, ConfigReport report)
    {
        if (principal.Length == 0 || principal.Any(char.IsWhiteSpace))
        {
            report.Error(field, $"'{principal}' is empty or has white space, so it matches no caller.", "remove the spaces; write e.g. cluster.local/ns/default/sa/productpage.");
            return;
        }

        if (principal.StartsWith(SpiffeScheme, StringComparison.Ordinal))
        {
            report.Error(field, $"'{principal}' starts with spiffe://, which Istio's principals leave out, so it matches no caller.", $"write '{principal[SpiffeScheme.Length..]}'.");
            return;
        }

        if (principal == "*")
        {
            return;
        }

        var wildcard = principal.StartsWith('*') || principal.EndsWith('*');
        if (principal.Trim('*').Contains('*'))
        {
            report.Error(field, $"'{principal}' has a * inside it; Istio allows * only as a prefix or a suffix.", "use a prefix (*/sa/productpage) or a suffix (cluster.local/ns/default/*).");
            return;
        }

        if (wildcard)
        {
            return;
        }

        var parts = principal.Split('/');
        if (parts is not [{ Length: > 0 }, "ns", { Length: > 0 }, "sa", { Length: > 0 }])
        {
            report.Error(field, $"'{principal}' is not a principal (<trust-domain>/ns/<namespace>/sa/<service-account>), so it matches no caller.",
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
