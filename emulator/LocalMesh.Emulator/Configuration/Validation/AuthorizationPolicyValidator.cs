namespace LocalMesh.Emulator.Configuration;

/// <summary>The checks of an AuthorizationPolicy: addresses, ports and the condition keys the emulator evaluates.</summary>
internal static class AuthorizationPolicyValidator
{
    public static void Validate(AuthorizationPolicy policy, ConfigReport report)
    {
        var rules = policy.Rules ?? [];
        for (var index = 0; index < rules.Count; index++)
        {
            var rule = rules[index];
            foreach (var (source, at) in (rule.From ?? []).Select((source, at) => (source, at)))
            {
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
}
