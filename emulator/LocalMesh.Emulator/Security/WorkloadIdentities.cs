using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using LocalMesh.Emulator.Routing;

namespace LocalMesh.Emulator.Security;

/// <summary>
/// Each workload's current certificate, issued on first use and replaced once half its lifetime
/// has passed (as Istio's agent rotates). A handshake always takes the current one; connections
/// made with the previous one go on until they close, so rotation drops no traffic.
/// </summary>
internal sealed class WorkloadIdentities(MeshCertificateAuthority authority, TimeProvider time, TimeSpan lifetime)
{
    private readonly ConcurrentDictionary<string, X509Certificate2> _current = new(StringComparer.Ordinal);

    /// <summary>The authority that issues the certificates.</summary>
    public MeshCertificateAuthority Authority { get; } = authority;

    /// <summary>How long each certificate is valid.</summary>
    public TimeSpan Lifetime { get; } = lifetime;

    /// <summary>The certificate for <paramref name="spiffeId"/> to present now.</summary>
    public X509Certificate2 Current(string spiffeId)
    {
        var now = time.GetUtcNow();
        var certificate = _current.GetOrAdd(spiffeId, id => Authority.Issue(id, Lifetime));
        // Half of the lifetime is left: renew (NotBefore is backdated a little for clock skew, so it is not used).
        if (now.UtcDateTime < certificate.NotAfter.ToUniversalTime() - Lifetime / 2)
        {
            return certificate;
        }

        var renewed = Authority.Issue(spiffeId, Lifetime);
        // The previous certificate stays alive: open connections may still use it.
        return _current.TryUpdate(spiffeId, renewed, certificate) ? renewed : _current[spiffeId];
    }

    /// <summary>
    /// Istio's auto mTLS: a caller with an identity uses it whenever the destination accepts
    /// mutual TLS, and the destination must prove it is the workload meant (secure naming).
    /// Null means plaintext.
    /// </summary>
    internal MutualTlsSettings? ForCall(string? callerIdentity, UpstreamEndpoint endpoint) =>
        endpoint.AcceptsMutualTls && callerIdentity is not null
            ? new MutualTlsSettings(Authority, Current(callerIdentity), endpoint.SpiffeId!)
            : null;
}
