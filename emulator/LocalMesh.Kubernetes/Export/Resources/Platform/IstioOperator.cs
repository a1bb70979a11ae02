namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioOperator : CustomResource<IstioOperatorSpec>
{
    public IstioOperator() => (ApiVersion, Kind) = ("install.istio.io/v1alpha1", "IstioOperator");
}

internal sealed class IstioOperatorSpec
{
    public string Profile { get; set; } = "";
    public IstioMeshConfig MeshConfig { get; set; } = new();
    public IstioComponents Components { get; set; } = new();
}

internal sealed class IstioMeshConfig
{
    public string? AccessLogFile { get; set; }
    public string? AccessLogEncoding { get; set; }
    public bool EnablePrometheusMerge { get; set; }
    public bool EnableTracing { get; set; }
    public IstioDefaultProviders? DefaultProviders { get; set; }
    public List<IstioExtensionProvider>? ExtensionProviders { get; set; }
}

internal sealed class IstioDefaultProviders
{
    public List<string>? Tracing { get; set; }
    public List<string>? AccessLogging { get; set; }
}

internal sealed class IstioExtensionProvider
{
    public string Name { get; set; } = "";
    public IstioZipkinProvider? Zipkin { get; set; }
}

internal sealed class IstioZipkinProvider
{
    public string Service { get; set; } = "";
    public int Port { get; set; }
}

internal sealed class IstioComponents
{
    public IstioComponent? Pilot { get; set; }
    public List<IstioGatewayComponent>? IngressGateways { get; set; }
    public List<IstioGatewayComponent>? EgressGateways { get; set; }
}

internal sealed class IstioComponent
{
    public bool Enabled { get; set; }
    public IstioKubernetesSettings? K8s { get; set; }
}

internal sealed class IstioGatewayComponent
{
    public string Name { get; set; } = "";
    public bool Enabled { get; set; }
    public IstioKubernetesSettings? K8s { get; set; }
}

internal sealed class IstioKubernetesSettings
{
    public k8s.Models.V1ResourceRequirements? Resources { get; set; }
}
