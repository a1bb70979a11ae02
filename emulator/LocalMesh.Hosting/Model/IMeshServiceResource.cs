namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// Something callers address by name through the mesh: a <see cref="MeshServiceResource"/> or a
/// <see cref="FunctionResource"/>. A reference to one goes through the caller's outbound sidecar.
/// </summary>
public interface IMeshServiceResource : IResourceWithParent<MeshResource>, IResourceWithServiceDiscovery;
