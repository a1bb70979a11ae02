namespace LocalMesh.Emulator.Configuration;

/// <summary>A port of a <see cref="ServiceEntry"/>.</summary>
/// <param name="Number">The port callers use.</param>
/// <param name="Name">Its name, unique in the entry (endpoints map names to their own ports).</param>
/// <param name="Protocol">What it carries: <c>HTTP</c>, <c>HTTPS</c>, <c>HTTP2</c>, <c>GRPC</c>, <c>TLS</c>, <c>TCP</c>, <c>MONGO</c>.</param>
public sealed record ServiceEntryPort(int Number, string Name, string Protocol)
{
    /// <summary>The port the endpoints listen on, where it differs from <see cref="Number"/>.</summary>
    public int? TargetPort { get; init; }

    /// <summary>Whether the sidecar sees HTTP on this port (and so applies the HTTP rules) rather than bytes.</summary>
    internal bool IsHttp => Protocol.ToUpperInvariant() is "HTTP" or "HTTP2" or "GRPC" or "GRPC-WEB";
}
