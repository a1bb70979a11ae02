namespace LocalMesh.Kubernetes.Export;

// The Gateway API's Gateway (gateway.networking.k8s.io v1), with the API's own field names.

internal sealed class GatewayApiGatewaySpec
{
    public string GatewayClassName { get; set; } = "";
    public List<GatewayListenerSpec> Listeners { get; set; } = [];

    // Known to the API and carried, not emulated (locally the gateway is the app's ingress).
    public List<GatewayAddressSpec>? Addresses { get; set; }
    public object? Infrastructure { get; set; }
    public object? BackendTLS { get; set; }
    public object? AllowedListeners { get; set; }
}

internal sealed class GatewayListenerSpec
{
    public string Name { get; set; } = "";
    public string? Hostname { get; set; }
    public int Port { get; set; }
    public string Protocol { get; set; } = "";
    public object? Tls { get; set; }
    public AllowedRoutesSpec? AllowedRoutes { get; set; }
}

internal sealed class AllowedRoutesSpec
{
    public RouteNamespacesSpec? Namespaces { get; set; }
    public object? Kinds { get; set; }
}

internal sealed class RouteNamespacesSpec
{
    public string? From { get; set; }
    public object? Selector { get; set; }
}

internal sealed class GatewayAddressSpec
{
    public string? Type { get; set; }
    public string Value { get; set; } = "";
}
