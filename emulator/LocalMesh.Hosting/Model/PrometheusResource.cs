namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The real Prometheus, run as a resource of the app where it is installed: it scrapes the mesh's
/// metrics endpoint and evaluates the model's alert rules, as the cluster's Prometheus evaluates the
/// exported PrometheusRules.
/// </summary>
/// <param name="name">The resource's name.</param>
/// <param name="command">The <c>prometheus</c> executable.</param>
/// <param name="workingDirectory">Where its configuration, rules and storage are, for this run only.</param>
/// <param name="mesh">The mesh whose metrics it scrapes.</param>
public sealed class PrometheusResource(string name, string command, string workingDirectory, MeshResource mesh)
    : ExecutableResource(name, command, workingDirectory), IResourceWithParent<MeshResource>
{
    /// <summary>The endpoint of its web UI and API.</summary>
    public const string EndpointName = "http";

    /// <inheritdoc />
    public MeshResource Parent { get; } = mesh;
}
