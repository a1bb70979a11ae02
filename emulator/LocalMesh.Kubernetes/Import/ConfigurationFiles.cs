using System.Text.RegularExpressions;
using k8s;
using LocalMesh.Kubernetes.Export;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LocalMesh.Kubernetes.Import;

/// <summary>One Kubernetes object read from a file: where it starts, what it is, its YAML.</summary>
/// <param name="Location">Where the document starts.</param>
/// <param name="ApiVersion">Its <c>apiVersion</c>.</param>
/// <param name="Kind">Its <c>kind</c>.</param>
/// <param name="Namespace">Its <c>metadata.namespace</c>, or <c>null</c> when the file leaves it out.</param>
/// <param name="Name">Its <c>metadata.name</c>.</param>
/// <param name="Node">The whole document.</param>
internal sealed record ConfigDocument(SourceLocation Location, string ApiVersion, string Kind, string? Namespace, string Name, YamlMappingNode Node)
{
    /// <summary>The document's text as the file has it (comments inside it included).</summary>
    public string Text { get; init; } = "";

    /// <summary>How findings name it, e.g. <c>VirtualService default/reviews</c>.</summary>
    public string Object(string defaultNamespace) => $"{Kind} {Namespace ?? defaultNamespace}/{Name}";
}

/// <summary>A typed object read from a file, with where each of its fields was.</summary>
/// <typeparam name="TSpec">The type of its <c>spec</c>.</typeparam>
/// <param name="Document">The document it came from.</param>
/// <param name="Spec">Its spec.</param>
/// <param name="Locations">Where each field path (<c>spec.http[0].timeout</c>) was.</param>
internal sealed record LoadedObject<TSpec>(ConfigDocument Document, TSpec Spec, IReadOnlyDictionary<string, SourceLocation> Locations)
{
    /// <summary>Where <paramref name="path"/> was, or the nearest enclosing field that was there.</summary>
    public SourceLocation At(string path)
    {
        for (var current = path; current.Length > 0; current = Parent(current))
        {
            // A validator names a map's entry as headers[end-user]; the binder records headers.end-user.
            if (Locations.TryGetValue(current, out var location) || Locations.TryGetValue(AsMapEntry(current), out location))
            {
                return location;
            }
        }

        return Document.Location;

        static string Parent(string path) => path.LastIndexOfAny(['.', '[']) is var cut and > 0 ? path[..cut] : "";

        static string AsMapEntry(string path) =>
            path.EndsWith(']') && path.LastIndexOf('[') is var open and > 0 ? $"{path[..open]}.{path[(open + 1)..^1]}" : path;
    }
}

/// <summary>
/// A team's Istio and Knative YAML, read strictly from files and folders (searched recursively
/// for <c>*.yaml</c> and <c>*.yml</c>, several documents a file): the kinds the mesh emulates as
/// typed objects, every other object carried as it is for the export, and every problem of every
/// file at once.
/// </summary>
internal sealed partial class ConfigurationFiles
{
    /// <summary>The API versions of <c>networking.istio.io</c> Istio serves today.</summary>
    public static readonly IReadOnlyList<string> NetworkingVersions = ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"];

    /// <summary>The API versions of <c>security.istio.io</c> Istio serves today.</summary>
    public static readonly IReadOnlyList<string> SecurityVersions = ["security.istio.io/v1", "security.istio.io/v1beta1"];

    /// <summary>The kinds of each group Istio and Knative define, so a misspelt kind of a known group is an error, not a carried object.</summary>
    private static readonly Dictionary<string, string[]> KnownKinds = new(StringComparer.Ordinal)
    {
        ["networking.istio.io"] = ["VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "Sidecar", "WorkloadEntry", "WorkloadGroup", "EnvoyFilter", "ProxyConfig"],
        ["security.istio.io"] = ["PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication"],
        ["serving.knative.dev"] = ["Service", "Configuration", "Revision", "Route", "DomainMapping"],
        ["eventing.knative.dev"] = ["Broker", "Trigger", "EventType"],
        ["gateway.networking.k8s.io"] = ["Gateway", "GatewayClass", "HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute", "ReferenceGrant", "BackendTLSPolicy", "ListenerSet"],
        ["monitoring.coreos.com"] = ["Prometheus", "PrometheusAgent", "Alertmanager", "AlertmanagerConfig", "ServiceMonitor", "PodMonitor", "Probe", "PrometheusRule", "ScrapeConfig", "ThanosRuler"],
    };

    /// <summary>
    /// API groups Istio removed, with what replaced their kinds: the API server no longer serves
    /// them, so <c>kubectl apply</c> fails on them ("no matches for kind").
    /// </summary>
    private static readonly Dictionary<string, (string Removed, string Replacement)> RemovedGroups = new(StringComparer.Ordinal)
    {
        // Istio 1.6 removed the v1alpha1 security APIs (istio.io/latest/blog/2021/migrate-alpha-policy/).
        ["rbac.istio.io"] = ("Istio 1.6", "write an AuthorizationPolicy (security.istio.io/v1): ServiceRole's rules become its rules[].to, ServiceRoleBinding's subjects its rules[].from, RbacConfig's mode a policy per namespace or workload"),
        ["authentication.istio.io"] = ("Istio 1.6", "write a PeerAuthentication (security.istio.io/v1) for peers' mutual TLS, and a RequestAuthentication for origins' JWTs"),
        // Istio 1.8 removed Mixer and its configuration kinds.
        ["config.istio.io"] = ("Istio 1.8 (with Mixer)", "write a Telemetry (telemetry.istio.io/v1) for metrics, logs and traces, or an AuthorizationPolicy with action CUSTOM for an external check"),
    };

    private readonly List<ConfigFinding> _findings = [];

    private ConfigurationFiles(string defaultNamespace) => DefaultNamespace = defaultNamespace;

    /// <summary>The namespace of objects whose file leaves it out (the mesh's).</summary>
    public string DefaultNamespace { get; }

    /// <summary>Every file read, in the order read.</summary>
    public List<string> Files { get; } = [];

    /// <summary>The VirtualServices.</summary>
    public List<LoadedObject<VirtualServiceSpec>> VirtualServices { get; } = [];

    /// <summary>The DestinationRules.</summary>
    public List<LoadedObject<DestinationRuleSpec>> DestinationRules { get; } = [];

    /// <summary>The Gateways.</summary>
    public List<LoadedObject<GatewaySpecification>> Gateways { get; } = [];

    /// <summary>The ServiceEntries.</summary>
    public List<LoadedObject<ServiceEntrySpec>> ServiceEntries { get; } = [];

    /// <summary>The Gateway API's HTTPRoutes, and its GRPCRoutes as the HTTPRoutes they mean.</summary>
    public List<LoadedObject<HttpRouteSpec>> HttpRoutes { get; } = [];

    /// <summary>The Gateway API's TCPRoutes.</summary>
    public List<LoadedObject<TcpRouteSpec>> TcpRoutes { get; } = [];

    /// <summary>The Gateway API's Gateways.</summary>
    public List<LoadedObject<GatewayApiGatewaySpec>> GatewayApiGateways { get; } = [];

    /// <summary>The Knative Services.</summary>
    public List<LoadedObject<KnativeServiceSpec>> KnativeServices { get; } = [];

    /// <summary>The Knative Brokers.</summary>
    public List<LoadedObject<KnativeBrokerSpec>> KnativeBrokers { get; } = [];

    /// <summary>The Knative Triggers.</summary>
    public List<LoadedObject<KnativeTriggerSpec>> KnativeTriggers { get; } = [];

    /// <summary>The PeerAuthentications.</summary>
    public List<LoadedObject<PeerAuthenticationSpec>> PeerAuthentications { get; } = [];

    /// <summary>The AuthorizationPolicies.</summary>
    public List<LoadedObject<AuthorizationPolicySpec>> AuthorizationPolicies { get; } = [];

    /// <summary>The PrometheusRules, whose alerts are evaluated locally and which the export writes as they are.</summary>
    public List<LoadedObject<PrometheusRuleSpec>> PrometheusRules { get; } = [];

    /// <summary>Objects kept for the export and not emulated: other kinds, and kinds not applied locally yet.</summary>
    public List<ConfigDocument> Carried { get; } = [];

    /// <summary>Every problem found, errors and warnings.</summary>
    public IReadOnlyList<ConfigFinding> Findings => _findings;

    /// <summary>Whether any finding is an error.</summary>
    public bool HasErrors => _findings.Any(finding => finding.Severity == FindingSeverity.Error);

    /// <summary>Reads every file under <paramref name="paths"/> (files or folders).</summary>
    /// <param name="paths">Files and folders, relative to <paramref name="baseDirectory"/> or absolute.</param>
    /// <param name="baseDirectory">Where relative paths start (the AppHost's folder).</param>
    /// <param name="defaultNamespace">The namespace of objects that name none.</param>
    public static ConfigurationFiles Load(IEnumerable<string> paths, string baseDirectory, string defaultNamespace)
    {
        var files = new ConfigurationFiles(defaultNamespace);
        // Messages show a file as its path was given: relative to the AppHost's folder, or absolute.
        var shown = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path, baseDirectory);
            string Shown(string file) => Path.IsPathRooted(path) ? file : Path.GetRelativePath(baseDirectory, file);
            if (Directory.Exists(full))
            {
                foreach (var file in Directory.EnumerateFiles(full, "*.*", SearchOption.AllDirectories)
                    .Where(file => file.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal))
                {
                    files.Files.Add(file);
                    shown.TryAdd(file, Shown(file));
                }
            }
            else if (File.Exists(full))
            {
                files.Files.Add(full);
                shown.TryAdd(full, Shown(full));
            }
            else
            {
                files._findings.Add(new ConfigFinding(FindingSeverity.Error, new SourceLocation(path, 0, 0), "", "",
                    $"no such file or folder (looked at {full}).", "give a YAML file or a folder of them, relative to the AppHost's folder or absolute."));
            }
        }

        var seen = new Dictionary<string, ConfigDocument>(StringComparer.Ordinal);
        foreach (var file in files.Files.Distinct(StringComparer.Ordinal))
        {
            files.Read(file, shown[file], seen);
        }

        return files;
    }

    private void Read(string path, string shown, Dictionary<string, ConfigDocument> seen)
    {
        var stream = new YamlStream();
        string content;
        try
        {
            content = File.ReadAllText(path);
            if (TabIndented(content) is { } line)
            {
                // The parser reports some of these at the file's start; the line is what a person needs.
                _findings.Add(new ConfigFinding(FindingSeverity.Error, new SourceLocation(shown, line, 1), "", "",
                    "is not valid YAML: a tab indents this line, and YAML indents with spaces only.", "replace the tabs at the start of the line with spaces."));
                return;
            }

            stream.Load(new StringReader(content));
        }
        catch (YamlException error)
        {
            _findings.Add(new ConfigFinding(FindingSeverity.Error, new SourceLocation(shown, (int)error.Start.Line, (int)error.Start.Column), "", "",
                $"is not valid YAML: {Sentence(error.InnerException?.Message ?? error.Message)}", "correct the YAML syntax at this line."));
            return;
        }
        catch (Exception error) when (error is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // The YAML parser gives up on some broken input without saying where.
            _findings.Add(new ConfigFinding(FindingSeverity.Error, new SourceLocation(shown, 1, 1), "", "",
                "is not valid YAML (the parser could not say where it breaks).", "check the file's indentation, quotes and brackets, e.g. with yamllint."));
            return;
        }

        var lines = content.ReplaceLineEndings("\n").Split('\n');
        foreach (var yaml in stream.Documents)
        {
            if (yaml.RootNode is YamlScalarNode { Value: null or "" } || (yaml.RootNode is YamlMappingNode { Children.Count: 0 }))
            {
                continue; // an empty document, e.g. after a trailing ---
            }

            var at = new SourceLocation(shown, (int)yaml.RootNode.Start.Line, (int)yaml.RootNode.Start.Column);
            if (yaml.RootNode is not YamlMappingNode root)
            {
                _findings.Add(new ConfigFinding(FindingSeverity.Error, at, "", "", "is not a Kubernetes object (a map with apiVersion, kind and metadata).", "write one object per document, separated by ---."));
                continue;
            }

            if (IsKustomization(root))
            {
                continue; // kustomize's build file, not an object: the export writes its own
            }

            if (Document(root, at) is not { } document)
            {
                continue;
            }

            document = document with { Text = Slice(lines, root) };

            var objectName = document.Object(DefaultNamespace);
            var key = $"{Group(document.ApiVersion)}/{document.Kind}/{document.Namespace ?? DefaultNamespace}/{document.Name}";
            if (seen.TryGetValue(key, out var first))
            {
                _findings.Add(new ConfigFinding(FindingSeverity.Error, at, objectName, "metadata.name",
                    $"is defined twice: here and at {first.Location}.", "keep one of them, or give one another name."));
                continue;
            }

            seen[key] = document;
            Classify(document, objectName);
        }
    }

    /// <summary>
    /// The first line (1-based) a tab indents, which YAML forbids; null when none does. (A tab after
    /// spaces may be a block scalar's content, so only a line that starts with one counts.)
    /// </summary>
    private static int? TabIndented(string content)
    {
        var lines = content.ReplaceLineEndings("\n").Split('\n');
        var index = Array.FindIndex(lines, line => line.StartsWith('\t') && line.TrimStart().Length > 0 && !line.TrimStart().StartsWith('#'));
        return index < 0 ? null : index + 1;
    }

    private void Classify(ConfigDocument document, string objectName)
    {
        var group = Group(document.ApiVersion);
        if (RemovedGroups.TryGetValue(group, out var removed))
        {
            _findings.Add(new ConfigFinding(FindingSeverity.Error, document.Location, objectName, "apiVersion",
                $"{group} was removed in {removed.Removed}; no cluster serves {document.Kind} any more, and kubectl apply fails on it (no matches for kind).",
                $"{removed.Replacement}."));
            return;
        }

        if (KnownKinds.TryGetValue(group, out var kinds) && !kinds.Contains(document.Kind, StringComparer.Ordinal))
        {
            _findings.Add(new ConfigFinding(FindingSeverity.Error, document.Location, objectName, "kind",
                $"'{document.Kind}' is not a kind of {group}.", $"use one of: {string.Join(", ", kinds)}."));
            return;
        }

        if (Emulated(group, document.Kind) is var (served, bind))
        {
            if (!served.Contains(document.ApiVersion, StringComparer.Ordinal))
            {
                _findings.Add(new ConfigFinding(FindingSeverity.Error, document.Location, objectName, "apiVersion",
                    $"'{document.ApiVersion}' is not served for {document.Kind}.", $"use {served[0]}{(served.Count > 1 ? $" (or {string.Join(", ", served.Skip(1))})" : "")}."));
                return;
            }

            bind(document, objectName);
            return;
        }

        if (CheckCoreKind(document, objectName))
        {
            Carried.Add(document);
        }
    }

    /// <summary>The API versions served for a kind the mesh emulates, and where its bound object goes; <c>null</c> for any other kind.</summary>
    private (IReadOnlyList<string> Served, Action<ConfigDocument, string> Bind)? Emulated(string group, string kind) => (group, kind) switch
    {
        ("networking.istio.io", "VirtualService") => (NetworkingVersions, (document, name) => VirtualServices.Add(Bind<VirtualServiceSpec>(document, name))),
        ("networking.istio.io", "DestinationRule") => (NetworkingVersions, (document, name) => DestinationRules.Add(Bind<DestinationRuleSpec>(document, name))),
        ("networking.istio.io", "Gateway") => (NetworkingVersions, (document, name) => Gateways.Add(Bind<GatewaySpecification>(document, name))),
        ("gateway.networking.k8s.io", "Gateway") => (["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"], (document, name) => GatewayApiGateways.Add(Bind<GatewayApiGatewaySpec>(document, name))),
        ("gateway.networking.k8s.io", "TCPRoute") => (["gateway.networking.k8s.io/v1alpha2"], (document, name) => TcpRoutes.Add(Bind<TcpRouteSpec>(document, name))),
        // A GRPCRoute is read as the HTTPRoute it means; its findings keep its own field paths.
        ("gateway.networking.k8s.io", "GRPCRoute") => (["gateway.networking.k8s.io/v1"], (document, name) =>
        {
            var grpc = Bind<GrpcRouteSpec>(document, name);
            HttpRoutes.Add(new LoadedObject<HttpRouteSpec>(grpc.Document, grpc.Spec.AsHttpRoute(), grpc.Locations));
        }),
        ("gateway.networking.k8s.io", "HTTPRoute") => (["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"], (document, name) => HttpRoutes.Add(Bind<HttpRouteSpec>(document, name))),
        ("networking.istio.io", "ServiceEntry") => (NetworkingVersions, (document, name) => ServiceEntries.Add(Bind<ServiceEntrySpec>(document, name))),
        ("security.istio.io", "PeerAuthentication") => (SecurityVersions, (document, name) => PeerAuthentications.Add(Bind<PeerAuthenticationSpec>(document, name))),
        ("security.istio.io", "AuthorizationPolicy") => (SecurityVersions, (document, name) => AuthorizationPolicies.Add(Bind<AuthorizationPolicySpec>(document, name))),
        ("serving.knative.dev", "Service") => (["serving.knative.dev/v1"], (document, name) => KnativeServices.Add(Bind<KnativeServiceSpec>(document, name))),
        ("eventing.knative.dev", "Broker") => (["eventing.knative.dev/v1"], (document, name) => KnativeBrokers.Add(Bind<KnativeBrokerSpec>(document, name))),
        ("eventing.knative.dev", "Trigger") => (["eventing.knative.dev/v1"], (document, name) => KnativeTriggers.Add(Bind<KnativeTriggerSpec>(document, name))),
        ("monitoring.coreos.com", "PrometheusRule") => (["monitoring.coreos.com/v1"], (document, name) => PrometheusRules.Add(Bind<PrometheusRuleSpec>(document, name))),
        _ => null,
    };

    /// <summary>
    /// A kind of Kubernetes' own groups is decoded strictly with KubernetesClient's models, so the
    /// export never carries what the API server would refuse (an unknown or misplaced field).
    /// </summary>
    private bool CheckCoreKind(ConfigDocument document, string objectName)
    {
        var group = Group(document.ApiVersion);
        if (!(group.Length == 0 || group is "apps" or "batch" or "autoscaling" or "policy" or "networking.k8s.io" or "rbac.authorization.k8s.io"))
        {
            return true;
        }

        try
        {
            foreach (var loaded in KubernetesYaml.LoadAllFromString(document.Text, strict: true))
            {
                if (PodTemplateProblem(loaded) is var (field, problem, fix))
                {
                    _findings.Add(new ConfigFinding(FindingSeverity.Error, document.Location, objectName, field, $"the API server would refuse it: {problem}", fix));
                    return false;
                }
            }
        }
        catch (YamlException error)
        {
            var line = document.Location.Line + (int)error.Start.Line - 1;
            _findings.Add(new ConfigFinding(FindingSeverity.Error, document.Location with { Line = line, Column = (int)error.Start.Column }, objectName, "",
                $"the API server would refuse it: {Sentence(error.InnerException?.Message ?? error.Message)}", $"correct it as {document.Kind} ({document.ApiVersion}) defines its fields."));
            return false;
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            // A kind KubernetesClient has no model for: carried as it is.
        }

        return true;
    }

    /// <summary>
    /// What the API server requires of a workload controller's pod template that a strict decode
    /// does not see: a selector, one that selects the template's own labels, and containers (in its words).
    /// </summary>
    private static (string Field, string Problem, string Fix)? PodTemplateProblem(object loaded)
    {
        var (selector, template) = loaded switch
        {
            k8s.Models.V1Deployment deployment => (deployment.Spec?.Selector, deployment.Spec?.Template),
            k8s.Models.V1StatefulSet statefulSet => (statefulSet.Spec?.Selector, statefulSet.Spec?.Template),
            k8s.Models.V1DaemonSet daemonSet => (daemonSet.Spec?.Selector, daemonSet.Spec?.Template),
            k8s.Models.V1ReplicaSet replicaSet => (replicaSet.Spec?.Selector, replicaSet.Spec?.Template),
            _ => (null, null),
        };
        if (loaded is not (k8s.Models.V1Deployment or k8s.Models.V1StatefulSet or k8s.Models.V1DaemonSet or k8s.Models.V1ReplicaSet))
        {
            return null;
        }

        if (selector is null || (selector.MatchLabels is not { Count: > 0 } && selector.MatchExpressions is not { Count: > 0 }))
        {
            return ("spec.selector", "spec.selector: Required value.", "select the pods by the template's labels, e.g. selector: {matchLabels: {app: reviews}}.");
        }

        IDictionary<string, string> labels = template?.Metadata?.Labels ?? new Dictionary<string, string>();
        if (selector.MatchLabels?.Any(label => !labels.TryGetValue(label.Key, out var value) || value != label.Value) == true)
        {
            return ("spec.template.metadata.labels", "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`.",
                "give the template every label the selector matches, or select by the template's labels.");
        }

        return template?.Spec?.Containers is not { Count: > 0 }
            ? ("spec.template.spec.containers", "spec.template.spec.containers: Required value.", "give the pod template at least one container, with its name and image.")
            : null;
    }

    private LoadedObject<TSpec> Bind<TSpec>(ConfigDocument document, string objectName) where TSpec : new()
    {
        var binder = new YamlBinder(document.Location.File, objectName, _findings);
        var spec = document.Node.Children.TryGetValue(new YamlScalarNode("spec"), out var node)
            ? binder.Bind<TSpec>(node, "spec")
            : new TSpec();
        // Findings about the object itself point at its name.
        if (document.Node.Children.TryGetValue(new YamlScalarNode("metadata"), out var metadata) && metadata is YamlMappingNode fields
            && fields.Children.TryGetValue(new YamlScalarNode("name"), out var name))
        {
            binder.Locations["metadata.name"] = binder.At(name);
        }

        foreach (var (path, location) in binder.Uninterpreted)
        {
            _findings.Add(ChangesMeaning(path)
                ? new ConfigFinding(FindingSeverity.Error, location, objectName, path,
                    "is not emulated, and without it the policy would allow or deny other requests locally than in the cluster.",
                    "keep this policy for the cluster only (a file not given to --mesh-config), or express it with what the mesh emulates (principals, namespaces, ipBlocks, hosts, ports, methods, paths, when).")
                : new ConfigFinding(FindingSeverity.Warning, location, objectName, path,
                    "is kept for the cluster and not emulated locally.", "nothing to do; the export writes it unchanged."));
        }

        return new LoadedObject<TSpec>(document, spec, binder.Locations);
    }

    /// <summary>apiVersion, kind and metadata, each checked; <c>null</c> (and findings) when one is missing or wrong.</summary>
    private ConfigDocument? Document(YamlMappingNode root, SourceLocation at)
    {
        string? Text(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode { Value: { Length: > 0 } text } ? text : null;

        var apiVersion = Text(root, "apiVersion");
        var kind = Text(root, "kind");
        var metadata = root.Children.TryGetValue(new YamlScalarNode("metadata"), out var node) ? node as YamlMappingNode : null;
        var name = metadata is null ? null : Text(metadata, "name");
        var @namespace = metadata is null ? null : Text(metadata, "namespace");
        var shownName = $"{kind ?? "(no kind)"} {@namespace ?? DefaultNamespace}/{name ?? "(no name)"}";
        var problems = _findings.Count;
        if (apiVersion is null)
        {
            _findings.Add(new ConfigFinding(FindingSeverity.Error, at, shownName, "apiVersion", "is missing.", "add it, e.g. apiVersion: networking.istio.io/v1."));
        }

        if (kind is null)
        {
            _findings.Add(new ConfigFinding(FindingSeverity.Error, at, shownName, "kind", "is missing.", "add it, e.g. kind: VirtualService."));
        }

        if (name is null)
        {
            _findings.Add(new ConfigFinding(FindingSeverity.Error, at, shownName, "metadata.name", "is missing.", "give the object a name."));
        }
        else if (!DnsName().IsMatch(name))
        {
            var value = metadata!.Children[new YamlScalarNode("name")];
            _findings.Add(new ConfigFinding(FindingSeverity.Error, at with { Line = (int)value.Start.Line, Column = (int)value.Start.Column },
                shownName, "metadata.name", $"'{name}' is not a valid name.", "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (RFC 1123)."));
        }

        // The kinds the mesh reads are decoded strictly from the top; other kinds keep their own top-level fields.
        if (apiVersion is not null && kind is not null && Emulated(Group(apiVersion), kind) is not null)
        {
            foreach (var (key, _) in root.Children)
            {
                if (key is YamlScalarNode { Value: var field } && field is not ("apiVersion" or "kind" or "metadata" or "spec" or "status"))
                {
                    _findings.Add(new ConfigFinding(FindingSeverity.Error, at with { Line = (int)key.Start.Line, Column = (int)key.Start.Column }, shownName, field ?? "",
                        $"unknown field '{field}'.", "remove it; an object has apiVersion, kind, metadata and spec."));
                }
            }
        }

        return _findings.Count > problems ? null : new ConfigDocument(at, apiVersion!, kind!, @namespace, name!, root);
    }

    private static bool IsKustomization(YamlMappingNode root) =>
        root.Children.TryGetValue(new YamlScalarNode("apiVersion"), out var apiVersion)
        && apiVersion is YamlScalarNode { Value: { } version }
        && version.StartsWith("kustomize.config.k8s.io/", StringComparison.Ordinal);

    /// <summary>Authorization fields whose absence would change which requests a policy matches (JWT principals, CUSTOM providers, targetRefs).</summary>
    private static bool ChangesMeaning(string path) =>
        path is "spec.provider" or "spec.targetRef" or "spec.targetRefs"
        || path.Split('.')[^1] is "requestPrincipals" or "notRequestPrincipals" or "remoteIpBlocks" or "notRemoteIpBlocks" or "serviceAccounts" or "notServiceAccounts";

    /// <summary>A document's own lines of its file: from where its root starts to the next <c>---</c> (or <c>...</c>, or the end).</summary>
    private static string Slice(string[] lines, YamlNode root)
    {
        var own = lines.Skip((int)root.Start.Line - 1)
            .TakeWhile(line => !line.StartsWith("---", StringComparison.Ordinal) && !line.StartsWith("...", StringComparison.Ordinal))
            .Reverse().SkipWhile(line => line.Trim().Length == 0).Reverse();
        return string.Join("\n", own) + "\n";
    }

    private static string Group(string apiVersion) => apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";

    private static string Sentence(string message) => message.TrimEnd('.') + ".";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    private static partial Regex DnsName();
}
