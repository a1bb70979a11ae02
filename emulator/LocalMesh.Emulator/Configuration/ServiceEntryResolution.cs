namespace LocalMesh.Emulator.Configuration;

/// <summary>A <see cref="ServiceEntry"/>'s <c>resolution</c>.</summary>
public enum ServiceEntryResolution
{
    /// <summary>To the address the caller asked for (the host it named, resolved as it would be).</summary>
    None,

    /// <summary>To the endpoints' IP addresses.</summary>
    Static,

    /// <summary>To the endpoints' DNS names, or the host itself when none are given.</summary>
    Dns,

    /// <summary>As <see cref="Dns"/>, one address at a time.</summary>
    DnsRoundRobin,
}
