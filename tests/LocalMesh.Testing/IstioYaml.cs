namespace LocalMesh.Testing;

/// <summary>The Istio documents tests write again and again, written once: a service's version subsets and a route to one of them.</summary>
public static class IstioYaml
{
    /// <summary>A DestinationRule for <paramref name="host"/> with a subset per version, each selecting its <c>version</c> label.</summary>
    public static string Subsets(string host, params string[] versions) => $$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: {{host}}
        spec:
          host: {{host}}
          subsets:
        {{string.Join("\n", versions.Select(version => $"  - {{name: {version}, labels: {{version: {version}}}}}"))}}
        """;

    /// <summary>A VirtualService sending every request to <paramref name="host"/> to its <paramref name="subset"/>, with the route's <paramref name="timeout"/> when given.</summary>
    public static string RouteAll(string host, string subset, string? timeout = null) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: {{host}}
        spec:
          hosts: [{{host}}]
          http:
          - route:
            - destination: {host: {{host}}, subset: {{subset}}}
        {{(timeout is null ? "" : $"    timeout: {timeout}")}}
        """;

    /// <summary>YAML documents as one file.</summary>
    public static string File(params string[] documents) => string.Join("\n---\n", documents);
}
