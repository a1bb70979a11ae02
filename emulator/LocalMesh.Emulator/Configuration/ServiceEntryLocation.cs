namespace LocalMesh.Emulator.Configuration;

/// <summary>A <see cref="ServiceEntry"/>'s <c>location</c>.</summary>
public enum ServiceEntryLocation
{
    /// <summary>Outside the mesh: no sidecar at the other end, so no mutual TLS.</summary>
    MeshExternal,

    /// <summary>Part of the mesh, without a sidecar the mesh knows of.</summary>
    MeshInternal,
}
