using System.Text.RegularExpressions;

namespace LocalMesh.Kubernetes;

/// <summary>
/// Kubernetes' rules for names and labels, checked when the model is built so that what runs
/// locally can be exported unchanged.
/// </summary>
internal static partial class KubernetesNames
{
    /// <summary>What a valid label key looks like, for error messages.</summary>
    public const string LabelKeyRule =
        "up to 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit, optionally after a DNS subdomain prefix and '/'";

    /// <summary>What a valid label value looks like, for error messages.</summary>
    public const string LabelValueRule =
        "empty, or up to 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

    /// <summary>What a valid DNS label (RFC 1123) looks like, for error messages.</summary>
    public const string DnsLabelRule = "up to 63 lower-case letters, digits or '-', starting and ending with a letter or digit";

    /// <summary>Whether <paramref name="name"/> is a DNS label (RFC 1123): what Services, tags and most names must be.</summary>
    public static bool IsValidDnsLabel(string name) => name.Length is > 0 and <= 63 && DnsLabel().IsMatch(name);

    /// <summary>Whether <paramref name="key"/> is a valid label key (<c>[prefix/]name</c>).</summary>
    public static bool IsValidLabelKey(string key)
    {
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        var prefix = slash < 0 ? null : key[..slash];
        return name.Length is > 0 and <= 63
            && LabelName().IsMatch(name)
            && (prefix is null || (prefix.Length is > 0 and <= 253 && DnsSubdomain().IsMatch(prefix)));
    }

    /// <summary>Whether <paramref name="value"/> is a valid label value.</summary>
    public static bool IsValidLabelValue(string value) =>
        value.Length == 0 || (value.Length <= 63 && LabelName().IsMatch(value));

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
