namespace LocalMesh.Kubernetes.Export;

internal sealed class AuthorizationPolicySpec
{
    public IstioSelector? Selector { get; set; }
    public string Action { get; set; } = "";
    public List<IstioAuthorizationRule>? Rules { get; set; }
    public object? Provider { get; set; }
    public object? TargetRef { get; set; }
    public object? TargetRefs { get; set; }
}
