namespace LocalMesh.Kubernetes.Export;

public sealed class KnativeService : CustomResource<KnativeServiceSpec>
{
    public KnativeService() => (ApiVersion, Kind) = ("serving.knative.dev/v1", "Service");
}
