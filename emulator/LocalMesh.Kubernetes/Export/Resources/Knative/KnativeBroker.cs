namespace LocalMesh.Kubernetes.Export;

public sealed class KnativeBroker : CustomResource<KnativeBrokerSpec>
{
    public KnativeBroker() => (ApiVersion, Kind) = ("eventing.knative.dev/v1", "Broker");
}
