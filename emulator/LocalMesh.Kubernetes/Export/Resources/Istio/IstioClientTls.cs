namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioClientTls
{
    public string? Mode { get; set; }
    public string? Sni { get; set; }
    public string? CaCertificates { get; set; }
    public bool? InsecureSkipVerify { get; set; }
    public string? ClientCertificate { get; set; }
    public string? PrivateKey { get; set; }
    public string? CredentialName { get; set; }
    public List<string>? SubjectAltNames { get; set; }
    public string? CaCrl { get; set; }
}
