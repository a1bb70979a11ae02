using k8s;
using k8s.Models;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.Kubernetes.Deploy;

/// <summary>
/// What a deploy applies, in order: with the platform, <c>platform/</c>'s objects first (what the
/// app runs on); then the base's objects with one overlay's ConfigMaps, kinds in dependency order
/// (namespace and identities first, custom resources last), preceded by the older function
/// revisions traffic still names.
/// </summary>
/// <param name="Environment">The overlay, e.g. <c>development</c>.</param>
/// <param name="Steps">Each object to apply, in order.</param>
internal sealed record DeployPlan(string Environment, IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Steps)
{
    /// <summary>The plan for <paramref name="environment"/> of <paramref name="export"/>, after its platform when <paramref name="withPlatform"/>.</summary>
    /// <exception cref="DeployException">The export has no such overlay, or no platform when one is asked for.</exception>
    public static DeployPlan For(ExportResult export, string environment, bool withPlatform = false)
    {
        var platform = export.Files.Where(file => file.Path.StartsWith("platform/", StringComparison.Ordinal) && file.Path != "platform/kustomization.yaml")
            .SelectMany(file => file.Objects).Cast<IKubernetesObject<V1ObjectMeta>>().ToList();
        if (withPlatform && platform.Count == 0)
        {
            throw new DeployException("The export has no platform (the model's WithPlatform(PlatformComponents.None)); deploy without --with-platform, or choose the parts to install.");
        }

        var overlay = export.Files.SingleOrDefault(file => file.Path == $"overlays/{environment}/kustomization.yaml")?.Objects.OfType<Kustomization>().Single()
            ?? throw new DeployException($"The export has no '{environment}' overlay; choose one of: {string.Join(", ", export.Overlays.Select(path => path["overlays/".Length..]))}.");
        var baseBuild = export.Files.Single(file => file.Path == "base/kustomization.yaml").Objects.OfType<Kustomization>().Single();

        var written = export.Files.Where(file => file.Path.StartsWith("base/", StringComparison.Ordinal) && file.Path != "base/kustomization.yaml").SelectMany(file => file.Objects).ToList();
        var carried = written.OfType<CarriedObject>().ToList();
        if (carried.Where(item => CustomResourceTypes.Find(item.ApiVersion, item.Kind) is null).ToList() is { Count: > 0 } unknown)
        {
            throw new DeployException($"The export carries objects of kinds deploy does not apply: {string.Join(", ", unknown.Select(item => $"{item.ApiVersion} {item.Kind} {item.Namespace}/{item.Name} ({item.Source})"))}. " +
                "Apply base/carried.yaml with kubectl apply -f (its kinds' CRDs installed), or remove them from the configuration files.");
        }

        var objects = export.Prerequisites.Concat(written.Select(item => item is CarriedObject team ? Deployable(team) : (IKubernetesObject<V1ObjectMeta>)item))
            .Concat(ConfigMaps(baseBuild, overlay))
            .Select((item, index) => (item, index))
            .OrderBy(pair => CustomResourceTypes.ApplyOrder(pair.item))
            .ThenBy(pair => pair.index)
            .Select(pair => pair.item);
        var first = withPlatform
            ? platform.Select((item, index) => (item, index)).OrderBy(pair => CustomResourceTypes.ApplyOrder(pair.item)).ThenBy(pair => pair.index).Select(pair => pair.item)
            : [];
        return new DeployPlan(environment, [.. first, .. objects]);
    }

    /// <summary>An object of the team's files as deploy applies it: a core kind as its typed model, any other with every field as written.</summary>
    private static IKubernetesObject<V1ObjectMeta> Deployable(CarriedObject item)
    {
        var kind = CustomResourceTypes.Find(item.ApiVersion, item.Kind)!;
        var @namespace = kind.Namespaced ? item.Namespace : null;
        if (kind.Group.Length > 0)
        {
            return CarriedResource.Parse(item.Yaml, @namespace);
        }

        var typed = (IKubernetesObject<V1ObjectMeta>)KubernetesYaml.LoadAllFromString(item.Yaml, CustomResourceTypes.TypeMap).Single();
        typed.Metadata.NamespaceProperty ??= @namespace;
        return typed;
    }

    /// <summary>The plan as a reader sees it: one line per object, in order.</summary>
    public string Describe(string target) =>
        string.Join(System.Environment.NewLine, Steps.Select((item, index) =>
            $"{index + 1,3}. apply {item.ApiVersion} {item.Kind} {(item.Metadata.NamespaceProperty is { } ns ? $"{ns}/" : "")}{item.Metadata.Name}")
            .Prepend($"Plan for the '{Environment}' overlay on {target}: {Steps.Count} objects, server-side apply (field manager {ClusterDeployer.FieldManager})."));

    /// <summary>The ConfigMaps kustomize would generate: the base's keys with the overlay's values.</summary>
    private static IEnumerable<V1ConfigMap> ConfigMaps(Kustomization baseBuild, Kustomization overlay)
    {
        foreach (var generator in baseBuild.ConfigMapGenerator ?? [])
        {
            var data = Literals(generator.Literals);
            foreach (var (key, value) in Literals(overlay.ConfigMapGenerator?.SingleOrDefault(g => g.Name == generator.Name)?.Literals ?? []))
            {
                data[key] = value;
            }

            yield return new V1ConfigMap
            {
                ApiVersion = "v1",
                Kind = "ConfigMap",
                Metadata = new V1ObjectMeta { Name = generator.Name, NamespaceProperty = generator.Namespace },
                Data = data,
            };
        }
    }

    private static Dictionary<string, string> Literals(IEnumerable<string> literals) =>
        literals.Select(literal => literal.Split('=', 2)).ToDictionary(parts => parts[0], parts => parts[1]);
}

/// <summary>A deploy could not go on; the message says what is wrong and what to do.</summary>
internal sealed class DeployException(string message, Exception? inner = null) : Exception(message, inner);
