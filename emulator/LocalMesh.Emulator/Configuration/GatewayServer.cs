using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>One server of a <see cref="GatewayConfig"/>: a port and the hosts it serves there.</summary>
/// <param name="Port">The port number on the gateway pods.</param>
/// <param name="Protocol">HTTP, HTTPS, HTTP2, GRPC, TCP, TLS.</param>
/// <param name="Hosts">The hosts, e.g. <c>*</c>, <c>bookinfo.example.com</c>, <c>*.example.com</c>, optionally <c>namespace/</c>-prefixed.</param>
public sealed record GatewayServer(int Port, string Protocol, ImmutableArray<string> Hosts)
{
    /// <summary>The port's name.</summary>
    public string? PortName { get; init; }
}
