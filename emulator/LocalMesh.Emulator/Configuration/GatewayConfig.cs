using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// Istio's <c>Gateway</c>: what the ingress gateway it selects serves. Once a Gateway selects an
/// ingress gateway, the VirtualServices bound to it alone decide what that gateway answers, and
/// every other request gets 404 (flag NR), as Istio's gateway does.
/// </summary>
/// <param name="Name">The Gateway's name.</param>
public sealed record GatewayConfig(string Name)
{
    /// <summary>The labels of Istio's ingress gateway pods, as <c>istioctl install</c> and the Helm chart label them.</summary>
    internal static readonly ImmutableArray<ImmutableDictionary<string, string>> IngressGatewayLabels =
    [
        ImmutableDictionary<string, string>.Empty.Add("istio", "ingressgateway").Add("app", "istio-ingressgateway"),
        ImmutableDictionary<string, string>.Empty.Add("istio", "ingress").Add("app", "istio-ingress"),
    ];

    /// <summary>Its namespace; <c>null</c> for the mesh's.</summary>
    public string? Namespace { get; init; }

    /// <summary>The labels of the gateway pods it configures; empty selects every gateway.</summary>
    public IReadOnlyDictionary<string, string> Selector { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The ports it opens and the hosts each serves.</summary>
    public ImmutableArray<GatewayServer> Servers { get; init; } = [];

    /// <summary>Whether it configures the mesh's ingress gateways (which carry Istio's ingress gateway labels).</summary>
    public bool SelectsIngressGateway => Selector.Count == 0
        || IngressGatewayLabels.Any(labels => Selector.All(label => labels.GetValueOrDefault(label.Key) == label.Value));

    /// <summary>The Gateway's <c>namespace/name</c>, as a VirtualService's <c>gateways</c> names it.</summary>
    internal string FullName(string meshNamespace) => $"{Namespace ?? meshNamespace}/{Name}";
}
