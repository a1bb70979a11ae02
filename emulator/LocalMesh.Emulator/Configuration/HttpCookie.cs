namespace LocalMesh.Emulator.Configuration;

/// <summary>The cookie a consistent hash keys on.</summary>
/// <param name="Name">The cookie's name.</param>
/// <param name="Path">The path set on a generated cookie.</param>
/// <param name="Ttl">The lifetime of a generated cookie; without one, none is generated.</param>
public sealed record HttpCookie(string Name, string? Path = null, TimeSpan? Ttl = null);
