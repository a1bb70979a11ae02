namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// A service port's protocol, as Istio selects it from the port's <c>appProtocol</c> or name prefix
/// (<c>http</c>, <c>http2</c>, <c>grpc</c>, <c>tcp</c>).
/// </summary>
public enum ServiceProtocol
{
    /// <summary>HTTP/1.1 to the application; callers may speak HTTP/1.1 or HTTP/2 to their sidecar.</summary>
    Http,

    /// <summary>HTTP/2: the sidecars speak HTTP/2 to each other and, with prior knowledge, to the application.</summary>
    Http2,

    /// <summary>gRPC: HTTP/2 as <see cref="Http2"/>, and telemetry counts calls with their gRPC status.</summary>
    Grpc,

    /// <summary>Opaque TCP: bytes forwarded both ways, no HTTP rules.</summary>
    Tcp,
}
