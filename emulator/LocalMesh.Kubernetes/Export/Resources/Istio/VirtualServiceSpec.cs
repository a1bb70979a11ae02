namespace LocalMesh.Kubernetes.Export;

internal sealed class VirtualServiceSpec
{
    public List<string> Hosts { get; set; } = [];
    public List<string>? Gateways { get; set; }
    public List<IstioHttpRoute> Http { get; set; } = [];
    public List<IstioTcpRoute>? Tcp { get; set; }

    // Read from a team's files and carried, not emulated (an object is any value, kept as written).
    public List<string>? ExportTo { get; set; }
    public object? Tls { get; set; }
}
