using LocalMesh.Emulator.Configuration;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LocalMesh.Emulator.Security;

/// <summary>
/// The mesh's certificate authority, created in memory for each run: a root that signs
/// short-lived workload certificates carrying the workload's SPIFFE ID as URI SAN. No key is
/// ever written to disk.
/// </summary>
internal sealed class MeshCertificateAuthority : IDisposable
{
    /// <summary>Istio's default workload certificate lifetime.</summary>
    public static readonly TimeSpan DefaultWorkloadLifetime = TimeSpan.FromHours(24);

    private readonly TimeProvider _time;

    private MeshCertificateAuthority(X509Certificate2 root, TimeProvider time)
    {
        Root = root;
        _time = time;
    }

    /// <summary>The root certificate (with its private key, in memory only).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>Creates a new root for <paramref name="trustDomain"/>, valid for ten years from now.</summary>
    public static MeshCertificateAuthority Create(string trustDomain, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"O={trustDomain}, CN=LocalMesh root CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        return new MeshCertificateAuthority(request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10)), time);
    }

    /// <summary>Issues a certificate for <paramref name="spiffeId"/>, valid for <paramref name="lifetime"/> from now.</summary>
    public X509Certificate2 Issue(string spiffeId, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=LocalMesh", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(spiffeId));
        request.CertificateExtensions.Add(names.Build(critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client auth
        var now = _time.GetUtcNow();
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        using var issued = request.Create(Root, now.AddMinutes(-1), now + lifetime, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to this root, is valid now (on the injected
    /// clock) and carries a SPIFFE ID, which is returned.
    /// </summary>
    public bool TryValidate(X509Certificate? certificate, out string? spiffeId)
    {
        spiffeId = null;
        if (certificate is null)
        {
            return false;
        }

        using var peer = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (!chain.Build(peer))
        {
            return false;
        }

        spiffeId = UriSan(peer);
        return spiffeId?.StartsWith(SpiffeId.Scheme, StringComparison.Ordinal) == true;
    }

    /// <summary>The certificate's URI subject alternative name, if any.</summary>
    public static string? UriSan(X509Certificate2 certificate)
    {
        var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6); // GeneralName uniformResourceIdentifier
        foreach (var extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(uriTag))
                {
                    return names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag);
                }

                names.ReadEncodedValue();
            }
        }

        return null;
    }

    /// <inheritdoc />
    public void Dispose() => Root.Dispose();
}
