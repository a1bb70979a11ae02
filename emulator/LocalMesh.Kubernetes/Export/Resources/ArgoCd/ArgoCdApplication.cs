namespace LocalMesh.Kubernetes.Export;

internal sealed class ArgoCdApplication : CustomResource<ArgoCdApplicationSpec>
{
    public ArgoCdApplication() => (ApiVersion, Kind) = ("argoproj.io/v1alpha1", "Application");
}
