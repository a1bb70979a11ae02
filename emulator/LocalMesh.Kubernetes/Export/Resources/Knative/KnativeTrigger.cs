namespace LocalMesh.Kubernetes.Export;

public sealed class KnativeTrigger : CustomResource<KnativeTriggerSpec>
{
    public KnativeTrigger() => (ApiVersion, Kind) = ("eventing.knative.dev/v1", "Trigger");
}
