namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>PeerAuthentication.MutualTLS.Mode</c>: what an inbound sidecar accepts.</summary>
public enum MutualTlsMode
{
    /// <summary>Inherit from the wider scope; PERMISSIVE at the top.</summary>
    Unset,

    /// <summary>Plaintext only.</summary>
    Disable,

    /// <summary>Mutual TLS or plaintext.</summary>
    Permissive,

    /// <summary>Mutual TLS only: plaintext is refused at the connection.</summary>
    Strict,
}
