namespace LocalMesh.Emulator.Security;

/// <summary>The peer's identity on a connection that arrived over mutual TLS.</summary>
/// <param name="SpiffeId">The SPIFFE ID from the peer's certificate.</param>
internal sealed record PeerIdentity(string SpiffeId);
