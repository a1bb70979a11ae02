using System.Collections;
using System.Globalization;
using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LocalMesh.Kubernetes.Import;

/// <summary>
/// Reads a YAML node into a typed object strictly, as <c>kubectl apply --validate=strict</c> and
/// Istio's webhook do: a field the type does not have, or a value of the wrong type, is an error
/// naming its line, column and path; every error of the document is collected, not just the first.
/// Fields are matched by their JSON name (camelCase), or the protobuf name (snake_case) Istio also
/// accepts. A property of type <see cref="object"/> takes any value as it is: a field Istio knows
/// and the emulator carries without interpreting, recorded in <see cref="Uninterpreted"/>.
/// </summary>
internal sealed class YamlBinder(string file, string objectName, List<ConfigFinding> findings)
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Dictionary<string, PropertyInfo>> PropertiesByType = new();

    /// <summary>Each field bound without interpretation, by path, with where it is.</summary>
    public List<(string Path, SourceLocation Location)> Uninterpreted { get; } = [];

    /// <summary>Where each field path was, for findings about a value that bound but is wrong.</summary>
    public Dictionary<string, SourceLocation> Locations { get; } = new(StringComparer.Ordinal);

    public T Bind<T>(YamlNode node, string path) where T : new() => (T?)Bind(node, typeof(T), path) ?? new T();

    public SourceLocation At(YamlNode node) => new(file, (int)node.Start.Line, (int)node.Start.Column);

    public object? Bind(YamlNode node, Type type, string path)
    {
        // A field is where its key is; a list item or the root where it starts.
        Locations.TryAdd(path, At(node));
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" })
        {
            return null;
        }

        if (target == typeof(object))
        {
            Uninterpreted.Add((path, Locations[path]));
            return node;
        }

        if (target == typeof(string) || target == typeof(int) || target == typeof(long) || target == typeof(double) || target == typeof(bool))
        {
            return Scalar(node, target, path);
        }

        // KubernetesClient's models: a quantity ("128Mi") or an int-or-string is written as a scalar.
        if (node is YamlScalarNode { Value: { } text } && target.GetConstructor([typeof(string)]) is { } fromText && target.Namespace == "k8s.Models")
        {
            return fromText.Invoke([text]);
        }

        // KubernetesClient's models declare IList<T> and IDictionary<K, V>; a List and a Dictionary fill them.
        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(IList<>))
        {
            target = typeof(List<>).MakeGenericType(target.GetGenericArguments());
        }
        else if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(IDictionary<,>))
        {
            target = typeof(Dictionary<,>).MakeGenericType(target.GetGenericArguments());
        }

        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(List<>))
        {
            if (node is not YamlSequenceNode sequence)
            {
                return Mismatch(node, path, "a list");
            }

            var list = (IList)Activator.CreateInstance(target)!;
            var index = 0;
            foreach (var item in sequence.Children)
            {
                // An empty item (a lone "-") is no item.
                if (Bind(item, target.GetGenericArguments()[0], $"{path}[{index++}]") is { } value)
                {
                    list.Add(value);
                }
            }

            return list;
        }

        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            if (node is not YamlMappingNode map)
            {
                return Mismatch(node, path, "a map");
            }

            var dictionary = (IDictionary)Activator.CreateInstance(target)!;
            var keyType = target.GetGenericArguments()[0];
            foreach (var (key, name, value) in NamedEntries(map, path))
            {
                Locations[$"{path}.{name}"] = At(key);
                if (Scalar(key, keyType, $"{path}.{name}", isKey: true) is { } typedKey
                    && Bind(value, target.GetGenericArguments()[1], $"{path}.{name}") is { } bound)
                {
                    dictionary[typedKey] = bound;
                }
            }

            return dictionary;
        }

        if (node is not YamlMappingNode mapping)
        {
            return Mismatch(node, path, "an object");
        }

        var result = Activator.CreateInstance(target)!;
        var properties = Properties(target);
        foreach (var (key, name, value) in NamedEntries(mapping, path))
        {
            var field = path.Length == 0 ? name : $"{path}.{name}";
            if (!properties.TryGetValue(name, out var property))
            {
                findings.Add(new ConfigFinding(FindingSeverity.Error, At(key), objectName, field, $"unknown field '{name}'.",
                    $"remove it or correct its spelling; {path.Split('.')[^1] switch { "" => "here", var parent => $"'{parent}'" }} has: {string.Join(", ", properties.Keys.Where(k => !k.Contains('_')).Order())}."));
                continue;
            }

            Locations[field] = At(key);
            // null (or ~, or nothing) means unset: the field keeps its default.
            if (Bind(value, property.PropertyType, field) is { } bound)
            {
                property.SetValue(result, bound);
            }
        }

        return result;
    }

    /// <summary>A map's entries whose key is a plain name; any other key is a finding.</summary>
    private IEnumerable<(YamlNode Key, string Name, YamlNode Value)> NamedEntries(YamlMappingNode map, string path)
    {
        foreach (var (key, value) in map.Children)
        {
            if (key is YamlScalarNode { Value: { } name })
            {
                yield return (key, name, value);
            }
            else
            {
                findings.Add(new ConfigFinding(FindingSeverity.Error, At(key), objectName, path, "has a key that is not a plain name.", "write each key as a name followed by ':'."));
            }
        }
    }

    private object? Scalar(YamlNode node, Type type, string path, bool isKey = false)
    {
        if (node is not YamlScalarNode { Value: { } text } scalar)
        {
            return Mismatch(node, path, type == typeof(string) ? "a string" : type == typeof(bool) ? "true or false" : "a number");
        }

        if (type == typeof(string))
        {
            return text;
        }

        // A quoted "5" is a string to Kubernetes' strict decoding, not a number; a map's keys are strings either way.
        var quoted = !isKey && scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted;
        if (type == typeof(int) && !quoted && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (type == typeof(long) && !quoted && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var wide))
        {
            return wide;
        }

        if (type == typeof(double) && !quoted && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        if (type == typeof(bool) && !quoted && text is "true" or "false")
        {
            return text == "true";
        }

        return Mismatch(node, path, type == typeof(bool) ? "true or false" : type == typeof(int) || type == typeof(long) ? "a whole number" : "a number");
    }

    private object? Mismatch(YamlNode node, string path, string expected)
    {
        var found = node switch
        {
            YamlScalarNode scalar => $"'{scalar.Value}'",
            YamlSequenceNode => "a list",
            _ => "a map",
        };
        findings.Add(new ConfigFinding(FindingSeverity.Error, At(node), objectName, path, $"expected {expected}, found {found}.", $"write {expected} here."));
        return null;
    }

    /// <summary>The settable properties of <paramref name="type"/> by JSON name and by protobuf name, found once per type.</summary>
    private static Dictionary<string, PropertyInfo> Properties(Type type) => PropertiesByType.GetOrAdd(type, FindProperties);

    private static Dictionary<string, PropertyInfo> FindProperties(Type type)
    {
        var properties = new Dictionary<string, PropertyInfo>(StringComparer.Ordinal);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var json = property.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name
                ?? char.ToLowerInvariant(property.Name[0]) + property.Name[1..];
            properties[json] = property;
            properties.TryAdd(SnakeCase(json), property);
        }

        return properties;
    }

    private static string SnakeCase(string camel) =>
        string.Concat(camel.Select((c, i) => char.IsUpper(c) && i > 0 ? $"_{char.ToLowerInvariant(c)}" : c.ToString()));
}
