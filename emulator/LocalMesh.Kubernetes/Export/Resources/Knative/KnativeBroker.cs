namespace LocalMesh.Kubernetes.Export;

internal sealed class KnativeBroker : CustomResource<KnativeBrokerSpec>
{
    public KnativeBroker() => (ApiVersion, Kind) = ("eventing.knative.dev/v1", "Broker");
}
