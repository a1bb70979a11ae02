namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioAuthorizationRule
{
    public List<IstioRuleFrom>? From { get; set; }
    public List<IstioRuleTo>? To { get; set; }
    public List<IstioCondition>? When { get; set; }
}
