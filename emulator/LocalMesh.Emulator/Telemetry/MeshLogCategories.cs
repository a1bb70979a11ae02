namespace LocalMesh.Emulator.Telemetry;

/// <summary>
/// The data plane's log categories. A category names the resource a log entry is about, so a host
/// can show each entry with that resource (a function's scale decisions with the function, a
/// broker's deliveries with the broker) and everything else with the mesh.
/// </summary>
internal static class MeshLogCategories
{
    private const string FunctionPrefix = "LocalMesh.Function.";
    private const string BrokerPrefix = "LocalMesh.Broker.";
    private const string AccessLogPrefix = "LocalMesh.AccessLog.";

    /// <summary>Mesh-wide entries: listeners, configuration, identities.</summary>
    public const string Mesh = "LocalMesh.Mesh";

    /// <summary>The activator and autoscaler of the function (Knative Service) <paramref name="service"/>.</summary>
    public static string Function(string service) => FunctionPrefix + service;

    /// <summary>The deliveries of broker <paramref name="broker"/>.</summary>
    public static string Broker(string broker) => BrokerPrefix + broker;

    /// <summary>The access log of workload (or gateway) <paramref name="workload"/>'s sidecar: what <c>kubectl logs -c istio-proxy</c> shows.</summary>
    public static string AccessLog(string workload) => AccessLogPrefix + workload;

    /// <summary>Whether <paramref name="category"/> is a sidecar's access log.</summary>
    public static bool IsAccessLog(string category) => category.StartsWith(AccessLogPrefix, StringComparison.Ordinal);

    /// <summary>The function, broker or workload a category is about, or <c>null</c> for the mesh as a whole.</summary>
    public static string? ResourceOf(string category) =>
        category.StartsWith(FunctionPrefix, StringComparison.Ordinal) ? category[FunctionPrefix.Length..]
        : category.StartsWith(BrokerPrefix, StringComparison.Ordinal) ? category[BrokerPrefix.Length..]
        : category.StartsWith(AccessLogPrefix, StringComparison.Ordinal) ? category[AccessLogPrefix.Length..]
        : null;
}
