namespace LocalMesh.Emulator.Configuration;

/// <summary>Istio's <c>meshConfig.accessLogEncoding</c>.</summary>
public enum AccessLogEncoding
{
    /// <summary>Istio's default text format, fields separated by spaces.</summary>
    Text,

    /// <summary>One JSON object a line, with Istio's default JSON field names.</summary>
    Json,
}
