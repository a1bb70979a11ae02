using LocalMesh.Emulator.Configuration;
using LocalMesh.Kubernetes.Import;

namespace LocalMesh.Kubernetes.Tests;

/// <summary>Istio YAML read into the emulator's rules: strict decoding, findings at their lines, hosts resolved as Istio does.</summary>
public sealed class ImportTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("localmesh-import-");

    private static readonly Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> Bookinfo = new()
    {
        ["reviews"] = [Labels("reviews", "v1"), Labels("reviews", "v2"), Labels("reviews", "v3")],
        ["ratings"] = [Labels("ratings", "v1")],
        ["details"] = [Labels("details", "v1")],
        ["productpage"] = [Labels("productpage", "v1")],
    };

    private static Dictionary<string, string> Labels(string app, string version) => new() { ["app"] = app, ["version"] = version };

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_folder.FullName, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, yaml.ReplaceLineEndings("\n"));
        return name;
    }

    private (ConfigurationFiles Files, IReadOnlyDictionary<string, ImportedServiceRules> Rules, List<ConfigFinding> Findings) Import(params string[] paths)
    {
        var files = ConfigurationFiles.Load(paths, _folder.FullName, "default");
        var findings = new List<ConfigFinding>(files.Findings);
        return (files, IstioImporter.Import(files, "default", Bookinfo, findings), findings);
    }

    [Fact]
    public void ARequestRoutingFileAndItsDestinationRuleBecomeTheServicesRoutesAndSubsets()
    {
        Write("rules/reviews.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: reviews
            spec:
              host: reviews
              subsets:
              - name: v1
                labels:
                  version: v1
              - name: v2
                labels:
                  version: v2
            ---
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata:
              name: reviews
            spec:
              hosts:
              - reviews
              http:
              - match:
                - headers:
                    end-user:
                      exact: jason
                route:
                - destination:
                    host: reviews
                    subset: v2
              - route:
                - destination:
                    host: reviews.default.svc.cluster.local
                    subset: v1
                  weight: 100
                timeout: 1.5s
            """);

        var (_, rules, findings) = Import("rules");

        Assert.Empty(findings);
        var reviews = rules["reviews"];
        Assert.Equal(2, reviews.Routes!.Value.Length);
        var jason = reviews.Routes.Value[0];
        Assert.Equal(StringMatch.Exact("jason"), Assert.Single(jason.Match!).Headers!["end-user"]);
        Assert.Equal(new Destination("reviews", "v2"), Assert.Single(jason.Route!).Destination);
        var rest = reviews.Routes.Value[1];
        Assert.Equal(new HttpRouteDestination(new Destination("reviews", "v1"), 100), Assert.Single(rest.Route!));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), rest.Timeout);
        Assert.Equal(["v1", "v2"], reviews.Policy!.Subsets!.Select(subset => subset.Name));
        Assert.Equal("v2", reviews.Policy.Subsets![1].Labels["version"]);
    }

    [Fact]
    public void EveryMistakeInEveryFileIsAFindingWithItsLineColumnObjectAndField()
    {
        Write("ratings.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: ratings
            spec:
              hosts:
              - ratings
              http:
              - route:
                - destination:
                    host: ratings
                  weight: fifty
                timeout: 3 seconds
                retrys:
                  attempts: 2
            """);
        Write("broken.yaml", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: [details\n");

        var (files, _, findings) = Import("ratings.yaml", "broken.yaml");

        var errors = findings.Where(finding => finding.Severity == FindingSeverity.Error).Select(finding => finding.ToString()).ToList();
        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("ratings.yaml:12:15 VirtualService default/ratings: spec.http[0].route[0].weight: expected a whole number, found 'fifty'.", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ratings.yaml:14:5 VirtualService default/ratings: spec.http[0].retrys: unknown field 'retrys'.", StringComparison.Ordinal) && e.Contains("retries", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ratings.yaml:13:5 VirtualService default/ratings: spec.http[0].timeout: '3 seconds' is not a duration.", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("broken.yaml:5:1: is not valid YAML", StringComparison.Ordinal));
        Assert.True(files.HasErrors);
    }

    [Fact]
    public void HostsResolveAsIstioResolvesThemAndAnUnknownHostIsIstiosIst0101()
    {
        Assert.Equal("reviews", IstioImporter.Resolve("reviews", "default", "default"));
        Assert.Equal("reviews", IstioImporter.Resolve("reviews.default", "other", "default"));
        Assert.Equal("reviews", IstioImporter.Resolve("reviews.default.svc.cluster.local", "other", "default"));
        Assert.Null(IstioImporter.Resolve("reviews", "other", "default"));
        Assert.Null(IstioImporter.Resolve("www.googleapis.com", "default", "default"));

        Write("egress.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: googleapis
            spec:
              hosts:
              - www.googleapis.com
              http:
              - route:
                - destination:
                    host: www.googleapis.com
            """);

        var (_, rules, findings) = Import("egress.yaml");

        Assert.Empty(rules);
        var warning = Assert.Single(findings, finding => finding.Code == "IST0101");
        Assert.Equal(FindingSeverity.Warning, warning.Severity);
        Assert.Equal("spec.hosts[0]", warning.Field);
        Assert.Contains("Referenced host not found: \"www.googleapis.com\"", warning.Problem);
    }

    [Fact]
    public void ASubsetThatSelectsNoWorkloadIsIstiosIst0173AndStillDeclared()
    {
        Write("ratings.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: ratings
            spec:
              host: ratings
              subsets:
              - name: v1
                labels:
                  version: v1
              - name: v2-mysql
                labels:
                  version: v2-mysql
            """);

        var (_, rules, findings) = Import("ratings.yaml");

        var warning = Assert.Single(findings);
        Assert.Equal(("IST0173", FindingSeverity.Warning, "spec.subsets[1].labels", 12), (warning.Code, warning.Severity, warning.Field, warning.Location.Line));
        Assert.Equal(["v1", "v2-mysql"], rules["ratings"].Policy!.Subsets!.Select(subset => subset.Name));
    }

    [Fact]
    public void TheDeprecatedWholeNumberPercentOfOlderSamplesStillInjects()
    {
        Write("delay.yaml", """
            apiVersion: networking.istio.io/v1alpha3
            kind: VirtualService
            metadata:
              name: ratings
            spec:
              hosts:
              - ratings
              http:
              - fault:
                  delay:
                    percent: 100
                    fixedDelay: 7s
                route:
                - destination:
                    host: ratings
            """);

        var (_, rules, findings) = Import("delay.yaml");

        Assert.Empty(findings);
        Assert.Equal(new FaultDelay(TimeSpan.FromSeconds(7), 100), rules["ratings"].Routes!.Value[0].Fault!.Delay);
    }

    [Fact]
    public void TwoVirtualServicesForOneHostLoadWithIstiosWarningAndTheFirstInForce()
    {
        Write("a.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: reviews
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {host: reviews, subset: v1}
            """);
        Write("b.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: reviews-canary
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {host: reviews, subset: v2}
            """);

        var (_, rules, findings) = Import("a.yaml", "b.yaml");

        var warning = Assert.Single(findings);
        Assert.Equal((FindingSeverity.Warning, "IST0109", "spec.hosts[0]", "b.yaml", 6), (warning.Severity, warning.Code, warning.Field, Path.GetFileName(warning.Location.File), warning.Location.Line));
        Assert.StartsWith("The VirtualServices VirtualService default/reviews (", warning.Problem, StringComparison.Ordinal);
        Assert.Equal("v1", Assert.Single(rules["reviews"].Routes!.Value).Route![0].Destination.Subset);
    }

    [Fact]
    public void AWildcardHostOnAVirtualServiceBoundToTheMeshIsRejectedAsIstiodRejectsIt()
    {
        Write("wildcard.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: everything
            spec:
              hosts: ["*"]
              http:
              - route:
                - destination: {host: reviews}
            """);

        var (_, rules, findings) = Import("wildcard.yaml");

        var error = Assert.Single(findings);
        Assert.Equal((FindingSeverity.Error, "spec.hosts[0]", 6), (error.Severity, error.Field, error.Location.Line));
        Assert.Contains("wildcard host * is not allowed for virtual services bound to the mesh gateway", error.Problem, StringComparison.Ordinal);
        Assert.Empty(rules);
    }

    [Fact]
    public void ACarriedDeploymentTheApiServerWouldRefuseIsAnErrorInItsWords()
    {
        Write("deployments.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: no-selector
            spec:
              template:
                metadata: {labels: {app: a}}
                spec:
                  containers: [{name: a, image: example/a:1}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: wrong-selector
            spec:
              selector: {matchLabels: {app: b}}
              template:
                metadata: {labels: {app: bee}}
                spec:
                  containers: [{name: b, image: example/b:1}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: fine
            spec:
              selector: {matchLabels: {app: c}}
              template:
                metadata: {labels: {app: c, version: v1}}
                spec:
                  containers: [{name: c, image: example/c:1}]
            """);

        var (files, _, findings) = Import("deployments.yaml");

        Assert.Equal(
            [
                ("Deployment default/no-selector", "spec.selector", "the API server would refuse it: spec.selector: Required value."),
                ("Deployment default/wrong-selector", "spec.template.metadata.labels", "the API server would refuse it: spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`."),
            ],
            findings.Select(finding => (finding.Object, finding.Field, finding.Problem)));
        Assert.Equal("Deployment default/fine", Assert.Single(files.Carried).Object("default"));
    }

    [Fact]
    public void ATabThatIndentsALineIsAnErrorAtThatLineNotAtTheFilesStart()
    {
        // YAML indents with spaces only; an editor's tab on line 11 must be reported on line 11.
        Write("tabbed.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts:\n  - reviews\n  http:\n  - route:\n    - destination:\n\t\thost: reviews\n");

        var (_, _, findings) = Import("tabbed.yaml");

        var error = Assert.Single(findings);
        Assert.Equal((FindingSeverity.Error, 11, 1), (error.Severity, error.Location.Line, error.Location.Column));
        Assert.Contains("tab", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AKindOfAnApiIstioRemovedIsAnErrorNamingWhatReplacedIt()
    {
        // Istio's pre-1.6 RBAC and authentication, as old blog posts and tutorials still show them.
        Write("old.yaml", """
            apiVersion: rbac.istio.io/v1alpha1
            kind: ServiceRole
            metadata:
              name: reviews-viewer
            spec:
              rules:
              - services: ["reviews.default.svc.cluster.local"]
                methods: ["GET"]
            ---
            apiVersion: authentication.istio.io/v1alpha1
            kind: Policy
            metadata:
              name: default
            spec:
              peers:
              - mtls: {}
            """);

        var (files, _, findings) = Import("old.yaml");

        Assert.Empty(files.Carried);
        Assert.Collection(findings,
            role =>
            {
                Assert.Equal((FindingSeverity.Error, "ServiceRole default/reviews-viewer", "apiVersion", 1), (role.Severity, role.Object, role.Field, role.Location.Line));
                Assert.Contains("rbac.istio.io was removed in Istio 1.6", role.Problem, StringComparison.Ordinal);
                Assert.StartsWith("write an AuthorizationPolicy (security.istio.io/v1)", role.Fix, StringComparison.Ordinal);
            },
            policy =>
            {
                Assert.Equal((FindingSeverity.Error, "Policy default/default", 10), (policy.Severity, policy.Object, policy.Location.Line));
                Assert.Contains("write a PeerAuthentication (security.istio.io/v1)", policy.Fix, StringComparison.Ordinal);
            });
    }

    [Fact]
    public void OtherKindsAreCarriedAMisspeltKindOfAKnownGroupIsAnErrorAndAnObjectMayNotBeDefinedTwice()
    {
        Write("a.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: reviews-v1
            spec:
              replicas: 1
              selector: {matchLabels: {app: reviews}}
              template:
                metadata: {labels: {app: reviews}}
                spec: {containers: [{name: reviews, image: example/reviews:1}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualServise
            metadata:
              name: reviews
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: details
            spec:
              host: details
            """);
        Write("b/c.yml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: details
              namespace: default
            spec:
              host: details
            """);

        var (files, _, findings) = Import("a.yaml", "b");

        Assert.Equal("Deployment default/reviews-v1", Assert.Single(files.Carried).Object("default"));
        var errors = findings.Where(finding => finding.Severity == FindingSeverity.Error).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Field == "kind" && e.Problem.Contains("'VirtualServise' is not a kind of networking.istio.io", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location.File == Path.Combine("b", "c.yml") && e.Problem == "is defined twice: here and at a.yaml:17:1.");
    }

    [Fact]
    public void FieldsIstioKnowsButTheEmulatorDoesNotAreWarnedNotRefused()
    {
        Write("gateway.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: bookinfo
            spec:
              hosts:
              - "*"
              gateways:
              - bookinfo-gateway
              http:
              - route:
                - destination:
                    host: productpage
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: productpage
            spec:
              host: productpage
              trafficPolicy:
                tls:
                  mode: ISTIO_MUTUAL
            """);

        var (_, rules, findings) = Import("gateway.yaml");

        Assert.All(findings, finding => Assert.Equal(FindingSeverity.Warning, finding.Severity));
        // ISTIO_MUTUAL is what the sidecars speak anyway: read, not warned about.
        Assert.DoesNotContain(findings, finding => finding.Field.StartsWith("spec.trafficPolicy.tls", StringComparison.Ordinal));
        Assert.Null(rules["productpage"].Routes);
        Assert.Equal(ClientTlsMode.IstioMutual, rules["productpage"].Policy?.TrafficPolicy?.Tls?.Mode);
    }

    [Fact]
    public void SecurityPoliciesApplyMeshWideFromTheRootNamespaceAndInTheMeshsNamespaceOnly()
    {
        Write("security.yaml", """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: default
              namespace: istio-system
            spec:
              mtls: {mode: STRICT}
            ---
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata:
              name: ratings-ports
            spec:
              selector: {matchLabels: {app: ratings}}
              portLevelMtls:
                9080: {mode: DISABLE}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: reviews-callers
            spec:
              selector: {matchLabels: {app: reviews}}
              rules:
              - from:
                - source: {principals: ["cluster.local/ns/default/sa/productpage-v1"]}
                to:
                - operation: {methods: [GET], paths: ["/reviews/*"]}
                when:
                - key: request.headers[end-user]
                  notValues: [mallory]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: elsewhere
              namespace: shop
            spec:
              action: DENY
              rules: [{}]
            """);

        var files = ConfigurationFiles.Load(["security.yaml"], _folder.FullName, "default");
        var findings = new List<ConfigFinding>(files.Findings);
        var (peers, policies) = IstioImporter.ImportSecurity(files, "default", findings);

        var warning = Assert.Single(findings);
        Assert.Equal((FindingSeverity.Warning, "metadata.namespace"), (warning.Severity, warning.Field));
        Assert.Contains("namespace 'shop'", warning.Problem);
        Assert.Equal(2, peers.Count);
        Assert.Equal((MutualTlsMode.Strict, (string?)null), (peers[0].Policy.Mode, peers[0].Policy.Namespace));
        Assert.Equal((MutualTlsMode.Unset, "default"), (peers[1].Policy.Mode, peers[1].Policy.Namespace));
        Assert.Equal(MutualTlsMode.Disable, peers[1].Policy.PortLevelMtls![9080]);
        var (policy, _) = Assert.Single(policies);
        Assert.Equal((AuthorizationAction.Allow, "default", "reviews"), (policy.Action, policy.Namespace, policy.Selector!["app"]));
        var rule = Assert.Single(policy.Rules!);
        Assert.Equal(["cluster.local/ns/default/sa/productpage-v1"], Assert.Single(rule.From!).Principals!);
        Assert.Equal(["/reviews/*"], Assert.Single(rule.To!).Paths!);
        Assert.Equal(["mallory"], Assert.Single(rule.When!).NotValues!);
    }

    [Fact]
    public void AnAuthorizationFieldTheMeshCannotHonourIsAnErrorNotASilentlyWiderPolicy()
    {
        Write("jwt.yaml", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: require-jwt
            spec:
              action: ALLOW
              rules:
              - from:
                - source:
                    requestPrincipals: ["*"]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: ext-authz
            spec:
              action: CUSTOM
              provider: {name: my-authz}
              rules: [{}]
            """);

        var files = ConfigurationFiles.Load(["jwt.yaml"], _folder.FullName, "default");
        var findings = new List<ConfigFinding>(files.Findings);
        var (_, policies) = IstioImporter.ImportSecurity(files, "default", findings);

        Assert.Equal(3, findings.Count(finding => finding.Severity == FindingSeverity.Error));
        Assert.Contains(findings, f => f.Field == "spec.rules[0].from[0].source.requestPrincipals" && f.Location.Line == 10);
        Assert.Contains(findings, f => f.Field == "spec.provider");
        Assert.Contains(findings, f => f.Field == "spec.action" && f.Problem.StartsWith("CUSTOM", StringComparison.Ordinal));
        Assert.Single(policies);
    }

    [Fact]
    public void ACarriedObjectKeepsItsTextAndAKubernetesKindIsCheckedAsTheApiServerWould()
    {
        Write("app.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
            data:
              # the team's own comment stays
              mode: fast
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: worker
            spec:
              replicaz: 2
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata:
              name: shop
            spec:
              anything: goes
            """);

        var (files, _, findings) = Import("app.yaml");

        var error = Assert.Single(findings);
        Assert.Equal((FindingSeverity.Error, 14), (error.Severity, error.Location.Line));
        Assert.Equal("Deployment default/worker", error.Object);
        Assert.Contains("replicaz", error.Problem);
        Assert.Equal(["ConfigMap", "Application"], files.Carried.Select(document => document.Kind));
        Assert.Equal("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  # the team's own comment stays\n  mode: fast\n", files.Carried[0].Text);
    }

    [Fact]
    public void AnObjectTheMeshReadsHasOnlyApiVersionKindMetadataAndSpecAtItsTop()
    {
        Write("stray.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: reviews
            data:
              mode: fast
            spec:
              hosts: [reviews]
            """);

        var (_, _, findings) = Import("stray.yaml");

        var error = Assert.Single(findings);
        Assert.Equal((FindingSeverity.Error, "data", 5), (error.Severity, error.Field, error.Location.Line));
    }

    [Fact]
    public void AMissingPathIsOneClearError()
    {
        var (_, _, findings) = Import("no-such-folder");

        var error = Assert.Single(findings);
        Assert.Equal(FindingSeverity.Error, error.Severity);
        Assert.Contains("no such file or folder", error.Problem);
    }

    [Fact]
    public void AGatewayAndTheVirtualServiceBoundToItBecomeTheIngressGatewaysRoutes()
    {
        Write("gateway.yaml", """
            apiVersion: networking.istio.io/v1alpha3
            kind: Gateway
            metadata:
              name: shop-gateway
            spec:
              selector:
                istio: ingressgateway
              servers:
              - port:
                  number: 80
                  name: http
                  protocol: HTTP
                hosts:
                - "*"
            ---
            apiVersion: networking.istio.io/v1alpha3
            kind: VirtualService
            metadata:
              name: shop
            spec:
              hosts:
              - "*"
              gateways:
              - shop-gateway
              http:
              - match:
                - uri:
                    exact: /productpage
                - uri:
                    prefix: /static
                route:
                - destination:
                    host: productpage
                    port:
                      number: 9080
            """);

        var (files, rules, findings) = Import("gateway.yaml");
        var (gateways, virtualServices) = IstioImporter.ImportGateways(files, "default", Bookinfo.Keys, findings);

        Assert.Empty(findings);
        Assert.Empty(rules);
        var gateway = Assert.Single(gateways).Gateway;
        Assert.True(gateway.SelectsIngressGateway);
        Assert.Equal((80, "HTTP", "*"), (gateway.Servers[0].Port, gateway.Servers[0].Protocol, Assert.Single(gateway.Servers[0].Hosts)));
        var bound = Assert.Single(virtualServices).VirtualService;
        Assert.Equal(["default/shop-gateway"], bound.Gateways.AsEnumerable());
        var route = Assert.Single(bound.Http);
        Assert.Equal([StringMatch.Exact("/productpage"), StringMatch.Prefix("/static")], route.Match!.Select(match => match.Uri));
        Assert.Equal(new Destination("productpage", null, 9080), Assert.Single(route.Route!).Destination);
    }

    [Fact]
    public void AGatewayThatSelectsNoIngressAndRoutesForAnUnknownGatewayOrHostAreIstiosWarnings()
    {
        Write("gateways.yaml", """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: internal
            spec:
              selector:
                istio: eastwestgateway
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["shop.example.com"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: elsewhere
            spec:
              hosts: ["*"]
              gateways: [no-such-gateway]
              http:
              - route:
                - destination: {host: productpage}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: wrong-host
            spec:
              hosts: ["wrong.com"]
              gateways: [internal]
              http:
              - route:
                - destination: {host: productpage}
            """);

        var (files, _, findings) = Import("gateways.yaml");
        IstioImporter.ImportGateways(files, "default", Bookinfo.Keys, findings);

        Assert.All(findings, finding => Assert.Equal(FindingSeverity.Warning, finding.Severity));
        Assert.Equal(
            [("IST0101", "spec.selector", 6), ("IST0101", "spec.gateways[0]", 18), ("IST0132", "spec.gateways[0]", 29)],
            findings.Select(finding => (finding.Code, finding.Field, finding.Location.Line)).OrderBy(f => f.Line));
        Assert.Contains("Referenced gateway not found: \"no-such-gateway\"", findings[1].Problem + findings[0].Problem + findings[2].Problem);
        Assert.Contains(findings, finding => finding.Problem.StartsWith("one or more host [wrong.com] defined in VirtualService default/wrong-host not found in Gateway default/internal", StringComparison.Ordinal));
    }

    private static readonly Dictionary<string, IReadOnlyList<string>> Functions = new()
    {
        ["sentiment"] = ["sentiment-00001", "sentiment-00002"],
        ["review-notifier"] = ["review-notifier-00001"],
    };

    [Fact]
    public void AKnativeServiceGivesItsFunctionTrafficTagsContainerConcurrencyAndScaling()
    {
        Write("sentiment.yaml", """
            apiVersion: serving.knative.dev/v1
            kind: Service
            metadata:
              name: sentiment
            spec:
              template:
                metadata:
                  name: sentiment-00002
                  annotations:
                    autoscaling.knative.dev/min-scale: "1"
                    autoscaling.knative.dev/max-scale: "3"
                    autoscaling.knative.dev/window: 6s
                    autoscaling.knative.dev/metric: rps
                spec:
                  containerConcurrency: 10
                  timeoutSeconds: 60
                  containers:
                  - image: example/sentiment:1.0
                    resources:
                      limits: {memory: 256Mi}
              traffic:
              - revisionName: sentiment-00001
                percent: 90
              - latestRevision: true
                percent: 10
                tag: canary
            """);

        var (files, _, findings) = Import("sentiment.yaml");
        var functions = KnativeImporter.ImportFunctions(files, Functions, findings);

        Assert.All(findings, finding => Assert.Equal(FindingSeverity.Warning, finding.Severity));
        Assert.Equal(["spec.template.metadata.annotations.autoscaling.knative.dev/metric", "spec.template.spec.timeoutSeconds"], findings.Select(f => f.Field).Order());
        var sentiment = functions["sentiment"];
        Assert.Equal([new("sentiment-00001", 90, null), new(null, 10, "canary")], sentiment.Traffic.AsEnumerable());
        Assert.Equal(new FunctionScaling { ContainerConcurrency = 10, MinScale = 1, MaxScale = 3, Window = TimeSpan.FromSeconds(6) }, sentiment.Scaling);
    }

    [Fact]
    public void KnativeMistakesAreErrorsAtTheirLines()
    {
        Write("knative.yaml", """
            apiVersion: serving.knative.dev/v1
            kind: Service
            metadata:
              name: sentiment
            spec:
              template:
                metadata:
                  annotations:
                    autoscaling.knative.dev/max-scale: three
                    autoscaling.knative.dev/windw: 6s
                spec:
                  containers:
                  - image: example/sentiment:1.0
              traffic:
              - revisionName: sentiment-00009
                percent: 100
            ---
            apiVersion: serving.knative.dev/v1
            kind: Service
            metadata:
              name: translator
            spec:
              template:
                spec:
                  containers:
                  - image: example/translator:1.0
            ---
            apiVersion: eventing.knative.dev/v1
            kind: Trigger
            metadata:
              name: posted
            spec:
              broker: evnets
              subscriber:
                ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: review-notifier}
            ---
            apiVersion: eventing.knative.dev/v1
            kind: Broker
            metadata:
              name: events
            spec:
              delivery:
                backoffPolicy: quadratic
                backoffDelay: 200ms
            """);

        var (files, _, findings) = Import("knative.yaml");
        KnativeImporter.ImportFunctions(files, Functions, findings);
        KnativeImporter.ImportEventing(files, ["events"], findings);

        Assert.Equal(
            [
                (9, "spec.template.metadata.annotations.autoscaling.knative.dev/max-scale", FindingSeverity.Error),
                (10, "spec.template.metadata.annotations.autoscaling.knative.dev/windw", FindingSeverity.Error),
                (15, "spec.traffic[0].revisionName", FindingSeverity.Error),
                // No function of the app model: carried to the export, said once.
                (21, "metadata.name", FindingSeverity.Warning),
                (33, "spec.broker", FindingSeverity.Error),
                (43, "spec.delivery.backoffPolicy", FindingSeverity.Error),
                (44, "spec.delivery.backoffDelay", FindingSeverity.Error),
            ],
            findings.Select(f => (f.Location.Line, f.Field, f.Severity)).Order());
        Assert.Equal("Service default/translator", Assert.Single(files.Carried).Object("default"));
    }

    [Fact]
    public void AKnativeServiceTheAppDoesNotRunIsCarriedButCheckedAsKnativesWebhookChecksIt()
    {
        // Another team's function in the team's folder, with the mistakes Knative's webhook refuses.
        Write("others.yaml", """
            apiVersion: serving.knative.dev/v1
            kind: Service
            metadata:
              name: thumbnails
            spec:
              template:
                metadata:
                  annotations:
                    autoscaling.knative.dev/min-scale: "3"
                    autoscaling.knative.dev/max-scale: "2"
                spec:
                  containerConcurrency: -1
                  containers:
                  - image: example/thumbnails:2.0
              traffic:
              - {revisionName: thumbnails-00001, percent: 60}
              - {latestRevision: true, percent: 30, tag: Candidate}
            """);

        var (files, _, findings) = Import("others.yaml");
        KnativeImporter.ImportFunctions(files, Functions, findings);

        Assert.Equal(
            [
                (4, "metadata.name", FindingSeverity.Warning),
                (9, "spec.template.metadata.annotations.autoscaling.knative.dev/min-scale", FindingSeverity.Error),
                (12, "spec.template.spec.containerConcurrency", FindingSeverity.Error),
                (15, "spec.traffic", FindingSeverity.Error),
                (17, "spec.traffic[1].tag", FindingSeverity.Error),
            ],
            findings.Select(f => (f.Location.Line, f.Field, f.Severity)).Order());
        Assert.Contains(findings, f => f.Problem == "Traffic targets sum to 90, want 100.");
        Assert.Contains(findings, f => f.Field.EndsWith("containerConcurrency", StringComparison.Ordinal) && f.Problem == "is -1.");
    }

    [Fact]
    public void AnApiVersionIstioOrKnativeDoesNotServeIsAnErrorNamingTheOnesItDoes()
    {
        Write("versions.yaml", """
            apiVersion: networking.istio.io/v2
            kind: VirtualService
            metadata: {name: reviews}
            spec: {hosts: [reviews]}
            ---
            apiVersion: serving.knative.dev/v1beta1
            kind: Service
            metadata: {name: sentiment}
            spec: {}
            """);

        var (_, _, findings) = Import("versions.yaml");

        Assert.Equal(
            [
                "'networking.istio.io/v2' is not served for VirtualService. Fix: use networking.istio.io/v1 (or networking.istio.io/v1beta1, networking.istio.io/v1alpha3).",
                "'serving.knative.dev/v1beta1' is not served for Service. Fix: use serving.knative.dev/v1.",
            ],
            findings.Select(finding => $"{finding.Problem} Fix: {finding.Fix}"));
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
