namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioServer
{
    public IstioServerPort Port { get; set; } = new();
    public List<string> Hosts { get; set; } = [];

    // Read from a team's files and carried, not emulated.
    public string? Name { get; set; }
    public object? Bind { get; set; }
    public object? DefaultEndpoint { get; set; }
    public object? Tls { get; set; }
}
