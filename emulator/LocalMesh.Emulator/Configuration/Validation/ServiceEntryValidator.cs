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
            report.Error("hosts", "is empty; istiod rejects it (service entry must have at least one host).", "name the hosts it adds, e.g. hosts: [api.example.com].");
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
                report.Error($"hosts[{index}]", $"'{host}' is a wildcard, which DNS cannot look up; istiod rejects it (hosts must be FQDN if no endpoints are provided for resolution mode DNS).", "give endpoints, or use resolution NONE for a wildcard host.");
            }
        }

        if (entry.Ports.IsDefaultOrEmpty)
        {
            report.Warning("ports", "is empty: locally a call is matched by its host and port, so no call reaches this entry's hosts.", "list the ports, e.g. ports: [{number: 443, name: https, protocol: HTTPS}].");
        }

        for (var index = 0; index < entry.Ports.Length; index++)
        {
            var port = entry.Ports[index];
            if (port.Number is < 1 or > 65535)
            {
                report.Error($"ports[{index}].number", $"is {port.Number}; istiod rejects it (port number {port.Number} must be in the range 1..65535).", "use a port from 1 to 65535.");
            }
            else if (entry.Ports.Take(index).Any(other => other.Number == port.Number))
            {
                report.Error($"ports[{index}].number", $"is listed twice; istiod rejects it (service entry port {port.Number} already defined).", "list each port once.");
            }

            if (port.TargetPort is { } target and (< 1 or > 65535))
            {
                report.Error($"ports[{index}].targetPort", $"is {target}; istiod rejects it (port number {target} must be in the range 1..65535).", "use a port from 1 to 65535, or leave it unset.");
            }

            if (!DnsLabel().IsMatch(port.Name))
            {
                report.Error($"ports[{index}].name", $"'{port.Name}' is not a DNS-1123 label; istiod rejects it (invalid port name: {port.Name}).", "name the port with lowercase letters, digits and '-', e.g. https.");
            }
            else if (entry.Ports.Take(index).Any(other => other.Name == port.Name))
            {
                report.Error($"ports[{index}].name", $"'{port.Name}' names another port too; istiod rejects it (service entry port name \"{port.Name}\" already defined).", "give each port a name of its own.");
            }

            // An empty protocol is allowed: Istio sniffs it.
            if (port.Protocol.Length > 0 && !Protocols.Contains(port.Protocol.ToUpperInvariant()))
            {
                report.Error($"ports[{index}].protocol", $"'{port.Protocol}' is not a protocol Istio knows (unsupported protocol: {port.Protocol}).", $"use one of: {string.Join(", ", Protocols)}.");
            }
        }

        switch (entry.Resolution)
        {
            case ServiceEntryResolution.None when !entry.Endpoints.IsDefaultOrEmpty:
                report.Error("endpoints", "are given with resolution NONE, which istiod rejects (no endpoints should be provided for resolution type none).", "remove them, or use resolution STATIC (addresses) or DNS (names).");
                break;
            case ServiceEntryResolution.Static when entry.Endpoints.IsDefaultOrEmpty:
                report.Warning("endpoints", "are none with resolution STATIC, so calls to its hosts get 503 (no healthy upstream).", "list the addresses behind the hosts.");
                break;
            case ServiceEntryResolution.DnsRoundRobin when entry.Endpoints.Length > 1:
                report.Error("endpoints", "are more than one with resolution DNS_ROUND_ROBIN; istiod rejects it (there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN).", "keep one endpoint, or use resolution DNS.");
                break;
        }

        // With one address for several hosts, only HTTP (its Host) and TLS (its SNI) tell the hosts apart.
        if (entry.Resolution != ServiceEntryResolution.None && entry.Hosts.Length > 1
            && entry.Ports.Any(port => !port.IsHttp && port.Protocol.ToUpperInvariant() is not ("HTTPS" or "TLS")))
        {
            report.Error("hosts", "are several, with a port that is neither HTTP nor TLS; istiod rejects it (multiple hosts provided with non-HTTP, non-TLS ports).", "give each host an entry of its own, or use resolution NONE.");
        }

        for (var index = 0; index < entry.Endpoints.Length; index++)
        {
            var endpoint = entry.Endpoints[index];
            var isAddress = IPAddress.TryParse(endpoint.Address, out _);
            if (entry.Resolution == ServiceEntryResolution.Static && !isAddress)
            {
                report.Error($"endpoints[{index}].address", $"'{endpoint.Address}' is not an IP address, which resolution STATIC needs (istiod: endpoint address \"{endpoint.Address}\" is not a valid IP address).", "give its IP address, or use resolution DNS for a name.");
            }
            else if (!isAddress && !HostName().IsMatch(endpoint.Address))
            {
                report.Error($"endpoints[{index}].address", $"'{endpoint.Address}' is neither an IP address nor a DNS name (istiod: endpoint address is not a valid FQDN or an IP address).", "give an IP address or a DNS name.");
            }

            foreach (var (name, number) in endpoint.Ports ?? new Dictionary<string, int>())
            {
                if (entry.Ports.All(port => port.Name != name))
                {
                    report.Error($"endpoints[{index}].ports[{name}]", $"names a port the entry does not declare (istiod: endpoint port {number} is not defined by the service entry).", $"use one of: {string.Join(", ", entry.Ports.Select(port => port.Name))}.");
                }
                else if (number is < 1 or > 65535)
                {
                    report.Error($"endpoints[{index}].ports[{name}]", $"is {number}.", "use a port from 1 to 65535.");
                }
            }
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$|^\*\.[a-zA-Z0-9-]+$")]
    private static partial Regex HostName();
}
