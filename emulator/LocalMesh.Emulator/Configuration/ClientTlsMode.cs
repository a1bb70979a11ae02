namespace LocalMesh.Emulator.Configuration;

/// <summary>A <see cref="ClientTlsSettings"/>' <c>mode</c>.</summary>
public enum ClientTlsMode
{
    /// <summary>Plaintext.</summary>
    Disable,

    /// <summary>TLS to the destination, checking its certificate: TLS origination.</summary>
    Simple,

    /// <summary>Mutual TLS with a client certificate of the team's own.</summary>
    Mutual,

    /// <summary>The mesh's mutual TLS, with the workload's own identity (what auto mTLS does between sidecars).</summary>
    IstioMutual,
}
