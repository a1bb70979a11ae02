namespace LocalMesh.Emulator.Configuration;

/// <summary>The checks of a Gateway: its servers, their ports and hosts.</summary>
internal static class GatewayValidator
{
    public static void Validate(GatewayConfig gateway, ConfigReport report)
    {
        if (gateway.Servers.IsDefaultOrEmpty)
        {
            report.Error("servers", "is empty, so the gateway serves nothing.", "add a server, e.g. port 80, protocol HTTP, hosts [\"*\"].");
        }

        for (var index = 0; index < gateway.Servers.Length; index++)
        {
            var server = gateway.Servers[index];
            if (server.Port is < 1 or > 65535)
            {
                report.Error($"servers[{index}].port.number", $"is {server.Port}.", "use a port from 1 to 65535.");
            }

            if (server.Hosts.IsDefaultOrEmpty)
            {
                report.Error($"servers[{index}].hosts", "is empty.", "name the hosts it serves, e.g. [\"*\"] or [\"bookinfo.example.com\"].");
            }
        }
    }
}
