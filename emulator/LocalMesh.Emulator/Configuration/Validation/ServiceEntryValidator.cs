using System.Net;
using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// The checks istiod makes of a ServiceEntry (its <c>ValidateServiceEntry</c>): hosts, ports, and
/// endpoints that fit the resolution.
/// </summary>
internal static partial class ServiceEntryValidator
{
    private static readonly string[] Protocols = ["HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB", "TLS", "TCP", "MONGO", "MYSQL", "REDIS", "UDP"];

    public static void Validate(ServiceEntry entry, ConfigReport report)
    {
        if (entry.Hosts.IsDefaultOrEmpty)
        {
            report.Error("hosts", "is empty; istiod rejects a ServiceEntry without hosts.", "name the hosts it adds, e.g. hosts: [api.example.com].");
        }

        for (var index = 0; index < entry.Hosts.Length; index++)
        {
            var host = entry.Hosts[index];
            if (host == "*")
            {
                report.Error($"hosts[{index}]", "is '*', which istiod rejects (invalid host *).", "name the hosts, or a domain's wildcard such as *.example.com.");
            }
            else if (!HostName().IsMatch(host))
            {
                report.Error($"hosts[{index}]", $"'{host}' is not a host name.", "use a DNS name such as api.example.com, or *.example.com for every host of a domain.");
            }
            else if (host.StartsWith('*') && entry.Resolution is ServiceEntryResolution.Dns or ServiceEntryResolution.DnsRoundRobin && entry.Endpoints.IsDefaultOrEmpty)
            {
                report.Error($"hosts[{index}]", $"'{host}' is a wildcard, which DNS resolution cannot look up without endpoints; istiod rejects it.", "give endpoints, or use resolution: NONE for a wildcard host.");
            }
        }

        if (entry.Ports.IsDefaultOrEmpty)
        {
            report.Error("ports", "is empty; the sidecar would not know which calls the hosts take.", "list the ports, e.g. ports: [{number: 443, name: https, protocol: HTTPS}].");
        }

        for (var index = 0; index < entry.Ports.Length; index++)
        {
            var port = entry.Ports[index];
            if (port.Number is < 1 or > 65535)
            {
                report.Error($"ports[{index}].number", $"is {port.Number}.", "use a port from 1 to 65535.");
            }

            if (port.TargetPort is { } target and (< 1 or > 65535))
            {
                report.Error($"ports[{index}].targetPort", $"is {target}.", "use a port from 1 to 65535, or leave it unset.");
            }

            if (string.IsNullOrEmpty(port.Name))
            {
                report.Error($"ports[{index}].name", "is empty.", "name the port, e.g. https.");
            }
            else if (entry.Ports.Take(index).Any(other => other.Name == port.Name))
            {
                report.Error($"ports[{index}].name", $"'{port.Name}' is the name of another port too; istiod rejects it (port names must be unique).", "give each port a name of its own.");
            }
            else if (entry.Ports.Take(index).Any(other => other.Number == port.Number))
            {
                report.Error($"ports[{index}].number", $"{port.Number} is listed twice; istiod rejects it (port numbers must be unique).", "list each port once.");
            }

            if (!Protocols.Contains(port.Protocol.ToUpperInvariant()))
            {
                report.Error($"ports[{index}].protocol", $"'{port.Protocol}' is not a protocol Istio knows.", $"use one of: {string.Join(", ", Protocols)}.");
            }
        }

        if (entry.Resolution == ServiceEntryResolution.None && !entry.Endpoints.IsDefaultOrEmpty)
        {
            report.Error("endpoints", "are given with resolution NONE, which istiod rejects (no endpoints should be provided for resolution type none).", "remove them, or use resolution STATIC (addresses) or DNS (names).");
        }

        if (entry.Resolution == ServiceEntryResolution.Static && entry.Endpoints.IsDefaultOrEmpty)
        {
            report.Warning("endpoints", "are none with resolution STATIC, so calls to its hosts get 503 (no healthy upstream).", "list the addresses behind the hosts.");
        }

        for (var index = 0; index < entry.Endpoints.Length; index++)
        {
            var endpoint = entry.Endpoints[index];
            if (entry.Resolution == ServiceEntryResolution.Static && !IPAddress.TryParse(endpoint.Address, out _))
            {
                report.Error($"endpoints[{index}].address", $"'{endpoint.Address}' is not an IP address, which resolution STATIC needs (istiod: endpoint address is not a valid IP address).", "give its IP address, or use resolution DNS for a name.");
            }

            foreach (var (name, number) in endpoint.Ports ?? new Dictionary<string, int>())
            {
                if (entry.Ports.All(port => port.Name != name))
                {
                    report.Error($"endpoints[{index}].ports[{name}]", $"names a port the entry does not declare (istiod: endpoint port {name} is not defined by the service entry).", $"use one of: {string.Join(", ", entry.Ports.Select(port => port.Name))}.");
                }
                else if (number is < 1 or > 65535)
                {
                    report.Error($"endpoints[{index}].ports[{name}]", $"is {number}.", "use a port from 1 to 65535.");
                }
            }
        }
    }

    [GeneratedRegex(@"^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$|^\*\.[a-zA-Z0-9-]+$")]
    private static partial Regex HostName();
}
