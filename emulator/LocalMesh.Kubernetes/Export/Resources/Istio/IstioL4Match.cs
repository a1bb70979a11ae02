namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioL4Match
{
    public int? Port { get; set; }
    public Dictionary<string, string>? SourceLabels { get; set; }

    // Read from a team's files and carried, not emulated (an object is any value, kept as written).
    public object? DestinationSubnets { get; set; }
    public object? Gateways { get; set; }
    public object? SourceNamespace { get; set; }
    public object? SourceSubnet { get; set; }
}
