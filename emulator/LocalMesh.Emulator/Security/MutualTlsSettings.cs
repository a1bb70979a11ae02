using System.Security.Cryptography.X509Certificates;

namespace LocalMesh.Emulator.Security;

/// <summary>How an outbound sidecar connects to a destination over mutual TLS.</summary>
/// <param name="Authority">The mesh root the server must chain to.</param>
/// <param name="ClientCertificate">The calling workload's current certificate.</param>
/// <param name="ExpectedServer">The SPIFFE ID the destination must present.</param>
internal sealed record MutualTlsSettings(MeshCertificateAuthority Authority, X509Certificate2 ClientCertificate, string ExpectedServer);
