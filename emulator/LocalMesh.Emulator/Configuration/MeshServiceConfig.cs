using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>A mesh service: a name callers use, selecting workloads by their <c>app</c> label.</summary>
/// <param name="Name">The service name, also the value of the <c>app</c> label it selects.</param>
public sealed record MeshServiceConfig(string Name)
{
    /// <summary>A Kubernetes Service's usual port.</summary>
    public const int DefaultPort = 80;

    /// <summary>The service port (VirtualService <c>port</c> matches compare with it).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// What the port carries, as a Service port's <c>appProtocol</c> or name prefix tells Istio: it
    /// decides the protocol the sidecars speak to each other and to the application.
    /// </summary>
    public ServiceProtocol Protocol { get; init; } = ServiceProtocol.Http;

    /// <summary>The service's VirtualService (for the mesh): its routes, symmetric with <see cref="DestinationRule"/>; <c>null</c> when it has none.</summary>
    public VirtualService? VirtualService { get; init; }

    /// <summary>The HTTP routes of the service's VirtualService, tried in order; empty routes everything to all endpoints.</summary>
    public ImmutableArray<HttpRoute> Http
    {
        get => VirtualService?.Http ?? [];
        init => VirtualService = value.IsDefaultOrEmpty && (VirtualService?.Tcp.IsDefaultOrEmpty ?? true)
            ? null
            : (VirtualService ?? new VirtualService(Name) { Hosts = [Name] }) with { Http = value.IsDefault ? [] : value };
    }

    /// <summary>The TCP routes of the service's VirtualService, tried in order for each connection; empty sends every connection to all endpoints.</summary>
    public ImmutableArray<TcpRoute> Tcp
    {
        get => VirtualService?.Tcp ?? [];
        init => VirtualService = value.IsDefaultOrEmpty ? VirtualService : (VirtualService ?? new VirtualService(Name) { Hosts = [Name] }) with { Tcp = value };
    }

    /// <summary>The service's DestinationRule: subsets and traffic policy.</summary>
    public DestinationRule? DestinationRule { get; init; }
}
