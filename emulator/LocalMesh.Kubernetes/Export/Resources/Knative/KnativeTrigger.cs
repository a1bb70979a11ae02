namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeTrigger : CustomResource<KnativeTriggerSpec>
{
    public KnativeTrigger() => (ApiVersion, Kind) = ("eventing.knative.dev/v1", "Trigger");
}
