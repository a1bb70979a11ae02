namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>ClientTLSSettings</c>: the TLS a sidecar originates to a destination.</summary>
/// <param name="Mode">What TLS the sidecar speaks.</param>
public sealed record ClientTlsSettings(ClientTlsMode Mode)
{
    /// <summary>The server name the sidecar sends (SNI) and checks the certificate for; the destination's host when unset.</summary>
    public string? Sni { get; init; }

    /// <summary>A file of PEM certificates the server's must chain to; the machine's trusted roots when unset.</summary>
    public string? CaCertificates { get; init; }

    /// <summary>Whether the server's certificate is not checked at all (Istio's <c>insecureSkipVerify</c>).</summary>
    public bool InsecureSkipVerify { get; init; }
}
