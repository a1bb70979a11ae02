namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeService : CustomResource<KnativeServiceSpec>
{
    public KnativeService() => (ApiVersion, Kind) = ("serving.knative.dev/v1", "Service");
}
