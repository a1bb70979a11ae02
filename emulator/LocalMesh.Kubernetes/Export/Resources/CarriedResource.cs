using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using YamlDotNet.Serialization;

namespace LocalMesh.Kubernetes.Export;

/// <summary>
/// An object of the team's files applied as the file has it: its apiVersion, kind and metadata
/// typed, every other field kept as written, so nothing the export carries is lost on the way to the cluster.
/// </summary>
internal sealed class CarriedResource : IKubernetesObject<V1ObjectMeta>
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build();

    /// <inheritdoc />
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>Every other field (<c>spec</c>, <c>data</c>, ...), as written.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement> Fields { get; set; } = [];

    /// <summary>The object one YAML document describes, in <paramref name="namespace"/> when it names none (null for a cluster-wide kind).</summary>
    public static CarriedResource Parse(string yaml, string? @namespace)
    {
        // YAML's scalars as JSON's (numbers, booleans), the way the API server reads the file.
        var json = JsonSerializer.Serialize(Yaml.Deserialize<object>(yaml));
        var resource = KubernetesJson.Deserialize<CarriedResource>(json);
        resource.Metadata.NamespaceProperty ??= @namespace;
        return resource;
    }
}
