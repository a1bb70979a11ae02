using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;

namespace Aspire.Hosting;

/// <summary>
/// Zero trust with Istio's names: PeerAuthentication (which connections an inbound sidecar
/// accepts) and AuthorizationPolicy (who may call what), for the whole mesh or one service.
/// Identities are the workloads' service accounts as SPIFFE IDs:
/// <c>spiffe://cluster.local/ns/&lt;namespace&gt;/sa/&lt;service-account&gt;</c>.
/// </summary>
public static class MeshSecurityBuilderExtensions
{
    /// <summary>Sets the mesh-wide mTLS mode (a PeerAuthentication in Istio's root namespace).</summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="mode">STRICT, PERMISSIVE (the default) or DISABLE.</param>
    /// <example>
    /// <code>
    /// builder.AddMesh("mesh").WithPeerAuthentication(MutualTlsMode.Strict);
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshResource> WithPeerAuthentication(this IResourceBuilder<MeshResource> mesh, MutualTlsMode mode)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return mesh.WithPeerAuthentication(new PeerAuthentication("default", mode));
    }

    /// <summary>Adds a PeerAuthentication policy as written (namespace, selector and port levels as Istio has them).</summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="policy">The policy.</param>
    public static IResourceBuilder<MeshResource> WithPeerAuthentication(this IResourceBuilder<MeshResource> mesh, PeerAuthentication policy)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(policy);
        return mesh.WithAnnotation(new MeshPeerAuthenticationAnnotation(policy), ResourceAnnotationMutationBehavior.Append);
    }

    /// <summary>Sets the mTLS mode of the service's workloads (a PeerAuthentication selecting <c>app=&lt;service&gt;</c>).</summary>
    /// <param name="service">The service.</param>
    /// <param name="mode">The mode for the workloads.</param>
    /// <param name="portLevelMtls">Modes for particular ports (the service port stands for the workload port).</param>
    /// <example>
    /// <code>
    /// reviews.WithPeerAuthentication(MutualTlsMode.Strict);
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshServiceResource> WithPeerAuthentication(
        this IResourceBuilder<MeshServiceResource> service, MutualTlsMode mode, IReadOnlyDictionary<int, MutualTlsMode>? portLevelMtls = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        service.ApplicationBuilder.CreateResourceBuilder(service.Resource.Parent).WithPeerAuthentication(new PeerAuthentication(service.Resource.Name, mode)
        {
            Selector = new Dictionary<string, string> { [MeshModelCompiler.AppLabel] = service.Resource.Name },
            PortLevelMtls = portLevelMtls,
        });
        return service;
    }

    /// <summary>Adds an AuthorizationPolicy as written (mesh-wide unless it has a selector).</summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="policy">The policy.</param>
    public static IResourceBuilder<MeshResource> WithAuthorizationPolicy(this IResourceBuilder<MeshResource> mesh, AuthorizationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(policy);
        return mesh.WithAnnotation(new MeshAuthorizationPolicyAnnotation(policy), ResourceAnnotationMutationBehavior.Append);
    }

    /// <summary>
    /// Adds an AuthorizationPolicy for the service's workloads. With ALLOW, only requests one of
    /// the rules matches get through; with DENY, those are refused (403 <c>RBAC: access denied</c>).
    /// </summary>
    /// <param name="service">The service whose workloads the policy selects.</param>
    /// <param name="name">The policy's name.</param>
    /// <param name="action">ALLOW, DENY or AUDIT.</param>
    /// <param name="rules">The rules; none with ALLOW denies everything.</param>
    /// <example>
    /// <code>
    /// reviews.WithAuthorizationPolicy("reviews-viewer", AuthorizationAction.Allow, new AuthorizationRule
    /// {
    ///     From = [new AuthorizationSource { Principals = ["cluster.local/ns/default/sa/productpage-v1"] }],
    ///     To = [new AuthorizationOperation { Methods = ["GET"] }],
    /// });
    /// </code>
    /// </example>
    public static IResourceBuilder<MeshServiceResource> WithAuthorizationPolicy(
        this IResourceBuilder<MeshServiceResource> service, string name, AuthorizationAction action, params AuthorizationRule[] rules)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        service.ApplicationBuilder.CreateResourceBuilder(service.Resource.Parent).WithAuthorizationPolicy(new AuthorizationPolicy(name, action)
        {
            Selector = new Dictionary<string, string> { [MeshModelCompiler.AppLabel] = service.Resource.Name },
            Rules = rules,
        });
        return service;
    }
}
