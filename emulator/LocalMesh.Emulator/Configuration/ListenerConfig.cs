namespace LocalMesh.Emulator.Configuration;

/// <summary>A listener of the data plane, always on loopback.</summary>
/// <param name="Name">A unique, readable name, e.g. <c>outbound|productpage-v1|reviews</c>.</param>
/// <param name="Kind">What the listener is for.</param>
/// <param name="Port">The port to bind; 0 lets the operating system choose.</param>
/// <param name="Workload">
/// For inbound listeners the workload served; for outbound and ingress listeners the calling
/// workload (the gateway's name for ingress); <c>null</c> for service listeners.
/// </param>
/// <param name="Replica">For inbound listeners, the replica index.</param>
/// <param name="Destination">For outbound, ingress and service listeners, the destination service.</param>
public sealed record ListenerConfig(
    string Name,
    ListenerKind Kind,
    int Port,
    string? Workload,
    int Replica = 0,
    string? Destination = null)
{
    /// <summary>The listener for replica <paramref name="replica"/> of <paramref name="workload"/>.</summary>
    internal static ListenerConfig Inbound(string workload, int replica) =>
        new($"inbound|{workload}|{replica}", ListenerKind.Inbound, 0, workload, replica);

    /// <summary>The outbound listener <paramref name="caller"/> uses to reach <paramref name="service"/>.</summary>
    internal static ListenerConfig Outbound(string caller, string service) =>
        new($"outbound|{caller}|{service}", ListenerKind.Outbound, 0, caller, Destination: service);

    /// <summary>
    /// The ingress gateway <paramref name="gateway"/> on <paramref name="port"/>: the Gateways that
    /// select it decide what it serves; while none does, it routes everything to <paramref name="service"/>.
    /// </summary>
    internal static ListenerConfig Ingress(string gateway, int port, string? service) =>
        new(IngressName(gateway), ListenerKind.Ingress, port, gateway, Destination: service);

    /// <summary>
    /// A port of ingress gateway <paramref name="gateway"/> of its own for <paramref name="service"/>,
    /// an app's external endpoint: the browser's first hop enters the mesh there.
    /// </summary>
    internal static ListenerConfig Exposing(string gateway, string service) =>
        new($"{IngressName(gateway)}|{service}", ListenerKind.Ingress, 0, gateway, Destination: service);

    /// <summary>The name of <paramref name="gateway"/>'s listener.</summary>
    internal static string IngressName(string gateway) => $"ingress|{gateway}";

    /// <summary>The ingress of <paramref name="broker"/>, where publishers post CloudEvents.</summary>
    internal static ListenerConfig ForBroker(string broker) =>
        new($"broker|{broker}", ListenerKind.Broker, 0, broker);

    /// <summary>The HTTP proxy through which <paramref name="workload"/>'s calls to hosts outside the mesh leave.</summary>
    internal static ListenerConfig Egress(string workload) =>
        new($"egress|{workload}", ListenerKind.Egress, 0, workload);

    /// <summary>The address of <paramref name="service"/> for callers outside the mesh.</summary>
    internal static ListenerConfig ForService(string service) =>
        new($"service|{service}", ListenerKind.Service, 0, null, Destination: service);
}
