namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioSource
{
    public List<string>? Principals { get; set; }
    public List<string>? NotPrincipals { get; set; }
    public List<string>? Namespaces { get; set; }
    public List<string>? NotNamespaces { get; set; }
    public List<string>? IpBlocks { get; set; }
    public List<string>? NotIpBlocks { get; set; }
    public object? RequestPrincipals { get; set; }
    public object? NotRequestPrincipals { get; set; }
    public object? RemoteIpBlocks { get; set; }
    public object? NotRemoteIpBlocks { get; set; }
    public object? ServiceAccounts { get; set; }
    public object? NotServiceAccounts { get; set; }
}
