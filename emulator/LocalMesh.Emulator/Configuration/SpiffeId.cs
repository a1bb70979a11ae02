namespace LocalMesh.Emulator.Configuration;

/// <summary>SPIFFE identities as Istio issues them: <c>spiffe://&lt;trust-domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service-account&gt;</c>.</summary>
internal static class SpiffeId
{
    /// <summary>The URI scheme of SPIFFE IDs.</summary>
    public const string Scheme = "spiffe://";

    /// <summary>The identity of <paramref name="serviceAccount"/> in <paramref name="namespace"/>.</summary>
    public static string For(string trustDomain, string @namespace, string serviceAccount) =>
        $"{Scheme}{trustDomain}/ns/{@namespace}/sa/{serviceAccount}";

    /// <summary>The principal AuthorizationPolicy compares: the ID without <c>spiffe://</c>.</summary>
    public static string Principal(string spiffeId) =>
        spiffeId.StartsWith(Scheme, StringComparison.Ordinal) ? spiffeId[Scheme.Length..] : spiffeId;
}
