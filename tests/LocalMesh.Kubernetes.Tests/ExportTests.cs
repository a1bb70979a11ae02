using System.Collections.Immutable;
using k8s;
using k8s.Models;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.Kubernetes.Tests;

/// <summary>The export's mapping rules, one test each, on small models.</summary>
public sealed class ExportTests
{
    private static readonly ImmutableDictionary<string, string> V1 = ImmutableDictionary<string, string>.Empty.Add("app", "reviews").Add("version", "v1");

    private static KubernetesAppModel Model(MeshConfig? mesh = null) => new("shop", mesh ?? new MeshConfig { Services = [new MeshServiceConfig("reviews") { Port = 9080 }] })
    {
        Workloads = [new WorkloadSpec("reviews-v1", "reviews", "localmesh/reviews:dev") { Labels = V1, ServiceAccount = "reviews-v1", Replicas = 2 }],
    };

    private static IEnumerable<object> AllObjects(ExportResult result) =>
        result.Files.Where(file => file.Path.StartsWith("base/", StringComparison.Ordinal)).SelectMany(file => file.Objects);

    private static T Single<T>(ExportResult result) => Assert.Single(AllObjects(result).OfType<T>());

    [Fact]
    public void ObjectsCarriedFromTheTeamsFilesAreWrittenAsTheyAreUnlessTheExportWritesThemItself()
    {
        const string settings = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  # kept\n  mode: fast\n";
        var model = Model() with
        {
            Carried =
            [
                new CarriedObject("v1", "ConfigMap", "shop", "settings", settings, "deploy/app.yaml:1:1"),
                new CarriedObject("apps/v1", "Deployment", "default", "reviews-v1", "apiVersion: apps/v1\nkind: Deployment\n", "deploy/app.yaml:9:1"),
            ],
        };

        var result = KubernetesExport.Export(model);

        var carried = Assert.Single(result.Files, file => file.Path == "base/carried.yaml");
        Assert.Equal(settings, carried.ToYaml());
        Assert.Contains("carried.yaml", Assert.IsType<Kustomization>(Assert.Single(result.Files.Single(file => file.Path == "base/kustomization.yaml").Objects)).Resources!);
        Assert.Contains("Not carried, because the export writes them from the app model: Deployment default/reviews-v1 (deploy/app.yaml:9:1).", result.Warnings);
    }

    [Fact]
    public void AWorkloadBecomesADeploymentWithItsLabelsIdentityProbesAndResources()
    {
        var model = Model() with
        {
            Workloads = [Model().Workloads[0] with { LivenessPath = "/healthz", ReadinessPath = "/ready", Environment = [new("SERVICE_VERSION", "v1")] }],
        };

        var deployment = Single<V1Deployment>(KubernetesExport.Export(model));

        Assert.Equal(2, deployment.Spec.Replicas);
        Assert.Equal(V1.ToDictionary(), deployment.Spec.Template.Metadata.Labels);
        Assert.Equal(deployment.Spec.Selector.MatchLabels, deployment.Spec.Template.Metadata.Labels);
        var pod = deployment.Spec.Template.Spec;
        Assert.Equal("reviews-v1", pod.ServiceAccountName);
        var container = Assert.Single(pod.Containers);
        Assert.Equal(("localmesh/reviews:dev", "IfNotPresent"), (container.Image, container.ImagePullPolicy));
        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/ready", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("128Mi", container.Resources.Requests["memory"].ToString());
        Assert.Equal("SERVICE_VERSION", Assert.Single(container.Env).Name);
        Assert.Equal("reviews-v1", Single<V1ServiceAccount>(KubernetesExport.Export(model)).Metadata.Name);
    }

    [Fact]
    public void AServiceSelectsItsWorkloadsAndNamesItsPortsForIstio()
    {
        var service = Single<V1Service>(KubernetesExport.Export(Model()));

        Assert.Equal(new Dictionary<string, string> { ["app"] = "reviews" }, service.Spec.Selector);
        Assert.Equal([("http", 9080, "http"), ("http-envoy-prom", 15090, "15090")], service.Spec.Ports.Select(p => (p.Name, p.Port, p.TargetPort.Value)));
    }

    [Fact]
    public void WithIstiosDefaultLoadBalancerAServiceWithoutSubsetsOrPolicyNeedsNoDestinationRule()
    {
        Assert.Empty(AllObjects(KubernetesExport.Export(Model())).OfType<IstioDestinationRule>());

        var subsets = Model(new MeshConfig
        {
            Services = [new MeshServiceConfig("reviews") { Port = 9080, DestinationRule = new DestinationRule { Subsets = [new Subset("v1", V1)] } }],
        });
        var rule = Single<IstioDestinationRule>(KubernetesExport.Export(subsets));
        Assert.Null(rule.Spec.TrafficPolicy);
        Assert.Equal("v1", Assert.Single(rule.Spec.Subsets!).Name);
    }

    [Fact]
    public void AMeshBalancingOtherwiseThanIstioWritesItsLoadBalancerIntoEveryDestinationRule()
    {
        var roundRobin = Model(new MeshConfig { Services = [new MeshServiceConfig("reviews") { Port = 9080 }], DefaultLoadBalancer = SimpleLoadBalancer.RoundRobin });

        var rule = Single<IstioDestinationRule>(KubernetesExport.Export(roundRobin));

        Assert.Equal("ROUND_ROBIN", rule.Spec.TrafficPolicy!.LoadBalancer!.Simple);
        Assert.Equal("reviews", rule.Spec.Host);
    }

    [Theory]
    [InlineData(new[] { 1, 1 }, new[] { 50, 50 })]
    [InlineData(new[] { 1, 2 }, new[] { 33, 67 })]
    [InlineData(new[] { 1, 1, 1 }, new[] { 34, 33, 33 })]
    [InlineData(new[] { 90, 10 }, new[] { 90, 10 })]
    [InlineData(new[] { 3, 0 }, new[] { 100, 0 })]
    public void RelativeWeightsAreWrittenAsPercentagesThatSumTo100(int[] weights, int[] percentages)
    {
        var written = IstioExporter.Percentages([.. weights.Select(w => (int?)w)]);

        Assert.Equal(percentages.Select(p => (int?)p), written);
        Assert.Equal(100, written.Sum());
    }

    [Fact]
    public void RoutesBecomeAVirtualServiceWithIstiosFieldNamesAndDurations()
    {
        var mesh = new MeshConfig
        {
            Services =
            [
                new MeshServiceConfig("reviews")
                {
                    Http =
                    [
                        new HttpRoute
                        {
                            Name = "jason",
                            Match = [new HttpMatchRequest { Headers = new Dictionary<string, StringMatch> { ["end-user"] = new(StringMatchKind.Exact, "jason") } }],
                            Route = [new HttpRouteDestination(new Destination("reviews", "v2"))],
                            Fault = new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromSeconds(7), 100) },
                        },
                        new HttpRoute
                        {
                            Route = [new HttpRouteDestination(new Destination("reviews", "v1"), 1), new HttpRouteDestination(new Destination("reviews", "v3"), 1)],
                            Timeout = TimeSpan.FromMilliseconds(500),
                            Retries = new HttpRetry { Attempts = 3, PerTryTimeout = TimeSpan.FromSeconds(2), RetryOn = "5xx" },
                        },
                    ],
                },
            ],
        };

        var yaml = KubernetesYaml.Serialize(Single<IstioVirtualService>(KubernetesExport.Export(Model(mesh))));

        var route = Single<IstioVirtualService>(KubernetesExport.Export(Model(mesh))).Spec.Http[0];
        Assert.Equal("jason", route.Match![0].Headers!["end-user"].Exact);
        Assert.Contains("end-user:\n", yaml);
        Assert.Contains("fixedDelay: 7s", yaml);
        Assert.Contains("timeout: 500ms", yaml);
        Assert.Contains("perTryTimeout: 2s", yaml);
        Assert.Contains("weight: 50", yaml);
        Assert.DoesNotContain("null", yaml);
    }

    [Fact]
    public void AMeshWidePeerAuthenticationGoesToIstiosRootNamespace()
    {
        var mesh = Model().Mesh with
        {
            PeerAuthentications = [new PeerAuthentication("default", MutualTlsMode.Strict), new PeerAuthentication("reviews", MutualTlsMode.Permissive) { Selector = V1, Namespace = "default" }],
        };

        var policies = AllObjects(KubernetesExport.Export(Model(mesh))).OfType<IstioPeerAuthentication>().ToList();

        Assert.Equal(("istio-system", "STRICT"), (policies[0].Metadata.NamespaceProperty, policies[0].Spec.Mtls!.Mode));
        Assert.Equal(("default", "PERMISSIVE"), (policies[1].Metadata.NamespaceProperty, policies[1].Spec.Mtls!.Mode));
        Assert.Equal("v1", policies[1].Spec.Selector!.MatchLabels["version"]);
    }

    [Fact]
    public void AnAuthorizationPolicyKeepsItsActionAndRules()
    {
        var mesh = Model().Mesh with
        {
            AuthorizationPolicies =
            [
                new AuthorizationPolicy("reviews-from-productpage", AuthorizationAction.Allow)
                {
                    Selector = new Dictionary<string, string> { ["app"] = "reviews" },
                    Rules = [new AuthorizationRule { From = [new AuthorizationSource { Principals = ["cluster.local/ns/default/sa/productpage-v1"] }], To = [new AuthorizationOperation { Methods = ["GET"] }] }],
                },
            ],
        };

        var policy = Single<IstioAuthorizationPolicy>(KubernetesExport.Export(Model(mesh)));

        Assert.Equal("ALLOW", policy.Spec.Action);
        var rule = Assert.Single(policy.Spec.Rules!);
        Assert.Equal("cluster.local/ns/default/sa/productpage-v1", Assert.Single(Assert.Single(rule.From!).Source.Principals!));
        Assert.Equal("GET", Assert.Single(Assert.Single(rule.To!).Operation.Methods!));
    }

    [Fact]
    public void AFunctionBecomesAKnativeServiceWithItsScalingAnnotationsTrafficAndTags()
    {
        var model = Model() with
        {
            Functions =
            [
                new FunctionSpec("sentiment", "localmesh/sentiment:dev")
                {
                    Revisions = [new("sentiment-00001", ImmutableDictionary<string, string>.Empty), new("sentiment-00002", ImmutableDictionary<string, string>.Empty.Add("THRESHOLD", "2"))],
                    Scaling = new FunctionScaling { ContainerConcurrency = 10, MaxScale = 3, Window = TimeSpan.FromSeconds(6) },
                    Traffic = [new("sentiment-00001", 100, null), new("sentiment-00002", 0, "canary")],
                },
            ],
        };

        var result = KubernetesExport.Export(model);
        var service = Single<KnativeService>(result);

        Assert.Equal("sentiment-00002", service.Spec.Template.Metadata.Name);
        Assert.Equal(10, service.Spec.Template.Spec.ContainerConcurrency);
        Assert.Equal(
            new Dictionary<string, string> { ["autoscaling.knative.dev/max-scale"] = "3", ["autoscaling.knative.dev/window"] = "6s" },
            service.Spec.Template.Metadata.Annotations);
        Assert.Equal("THRESHOLD", Assert.Single(service.Spec.Template.Spec.Containers[0].Env).Name);
        Assert.Equal([("sentiment-00001", 100L, (string?)null), ("sentiment-00002", 0L, "canary")], service.Spec.Traffic!.Select(t => (t.RevisionName!, t.Percent, t.Tag)));
        Assert.Contains(result.Warnings, warning => warning.StartsWith("sentiment:", StringComparison.Ordinal) && warning.Contains("sentiment-00001"));
        Assert.DoesNotContain(AllObjects(result), item => item is IstioVirtualService or IstioDestinationRule && ((IKubernetesObject<V1ObjectMeta>)item).Metadata.Name == "sentiment");
    }

    [Fact]
    public void ATriggerReferencesAFunctionAsAKnativeServiceAndAServiceAsACoreService()
    {
        var mesh = Model().Mesh with
        {
            Services = [.. Model().Mesh.Services, new MeshServiceConfig("notifier")],
            Brokers =
            [
                new BrokerConfig("events")
                {
                    Triggers = [new TriggerConfig("posted", "notifier") { Filter = ImmutableDictionary<string, string>.Empty.Add("type", "posted"), Delivery = new DeliverySpec { Retry = 2, BackoffDelay = TimeSpan.FromMilliseconds(200), DeadLetterSink = "reviews" } }],
                },
            ],
        };
        var model = Model(mesh) with { Functions = [new FunctionSpec("notifier", "localmesh/notifier:dev") { Revisions = [new("notifier-00001", ImmutableDictionary<string, string>.Empty)] }] };

        var trigger = Single<KnativeTrigger>(KubernetesExport.Export(model));

        Assert.Equal("events", trigger.Spec.Broker);
        Assert.Equal("posted", trigger.Spec.Filter!.Attributes["type"]);
        Assert.Equal(("serving.knative.dev/v1", "Service", "notifier"), (trigger.Spec.Subscriber.Ref.ApiVersion, trigger.Spec.Subscriber.Ref.Kind, trigger.Spec.Subscriber.Ref.Name));
        Assert.Equal(("v1", "reviews"), (trigger.Spec.Delivery!.DeadLetterSink!.Ref.ApiVersion, trigger.Spec.Delivery.DeadLetterSink.Ref.Name));
        Assert.Equal("PT0.2S", trigger.Spec.Delivery.BackoffDelay);
    }

    [Fact]
    public void EachServiceGetsAServiceMonitorOnItsSidecarsMetricsAndTheMeshAnErrorRateAlert()
    {
        var result = KubernetesExport.Export(Model());

        var monitor = Single<ServiceMonitor>(result);
        Assert.Equal("reviews", monitor.Spec.Selector.MatchLabels["app"]);
        Assert.Equal(("http-envoy-prom", "/stats/prometheus"), (monitor.Spec.Endpoints[0].Port, monitor.Spec.Endpoints[0].Path));
        var alert = Assert.Single(Assert.Single(Single<PrometheusRule>(result).Spec.Groups).Rules);
        Assert.Contains("istio_requests_total", alert.Expr);
        Assert.Contains("response_code=~\"5..\"", alert.Expr);
        Assert.Equal("5m", alert.For);
    }

    [Fact]
    public void TheErrorRateAlertIsWrittenWithTheModelsThresholdWindowAndForReadFromTheCallersSide()
    {
        var model = Model() with { ErrorRateAlert = new ErrorRateAlert { Threshold = 0.01, Window = TimeSpan.FromSeconds(90), For = TimeSpan.Zero } };

        var yaml = KubernetesExport.Export(model).Files.Single(file => file.Path == "base/monitoring.yaml").ToYaml();

        Assert.Contains("""sum by (destination_service_name) (rate(istio_requests_total{reporter="source",destination_service_namespace="default",response_code=~"5.."}[1m30s])) / sum by (destination_service_name) (rate(istio_requests_total{reporter="source",destination_service_namespace="default"}[1m30s])) > 0.01""", yaml);
        Assert.Contains("for: 0s", yaml);
    }

    [Theory]
    [InlineData(300, "5m")]
    [InlineData(90, "1m30s")]
    [InlineData(0.25, "250ms")]
    [InlineData(93784, "1d2h3m4s")]
    [InlineData(0, "0s")]
    public void DurationsAreWrittenAsPrometheusWritesThem(double seconds, string expected) =>
        Assert.Equal(expected, MonitoringExporter.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void ARepositoryGivesAnArgoCdApplicationAndNoneGivesNone()
    {
        Assert.DoesNotContain(KubernetesExport.Export(Model()).Files, file => file.Path.StartsWith("argocd/", StringComparison.Ordinal));

        var result = KubernetesExport.Export(Model() with { GitOps = new GitOpsSource("https://example.com/shop.git", "deploy/overlays/production") });

        var application = Assert.IsType<ArgoCdApplication>(Assert.Single(result.Files.Single(file => file.Path == "argocd/application.yaml").Objects));
        Assert.Equal(("https://example.com/shop.git", "deploy/overlays/production"), (application.Spec.Source.RepoURL, application.Spec.Source.Path));
        Assert.Equal("default", application.Spec.Destination.Namespace);
        Assert.Contains("repoURL: https://example.com/shop.git", result.Files.Single(file => file.Path == "argocd/application.yaml").ToYaml());
    }

    [Fact]
    public void PerEnvironmentValuesBecomeAConfigMapMergedByEachOverlay()
    {
        var workload = Model().Workloads[0] with
        {
            ConfigByEnvironment = ImmutableDictionary<string, ImmutableDictionary<string, string>>.Empty
                .Add("development", ImmutableDictionary<string, string>.Empty.Add("LOG_LEVEL", "Debug"))
                .Add("production", ImmutableDictionary<string, string>.Empty.Add("LOG_LEVEL", "Warning")),
        };

        var result = KubernetesExport.Export(Model() with { Workloads = [workload] });

        var container = Single<V1Deployment>(result).Spec.Template.Spec.Containers[0];
        Assert.Equal("reviews-v1-config", Assert.Single(container.EnvFrom).ConfigMapRef.Name);
        var production = Assert.IsType<Kustomization>(Assert.Single(result.Files.Single(file => file.Path == "overlays/production/kustomization.yaml").Objects));
        var generator = Assert.Single(production.ConfigMapGenerator!);
        Assert.Equal(("reviews-v1-config", "merge", "LOG_LEVEL=Warning"), (generator.Name, generator.Behavior, Assert.Single(generator.Literals)));
        Assert.Equal(["../../base"], production.Resources);
    }

    [Fact]
    public void AWorkloadThatUsesTheApiGetsARoleBoundToItsServiceAccount()
    {
        var workload = Model().Workloads[0] with { ApiAccess = [new ApiAccessRule([""], ["configmaps"], ["get", "watch"])] };

        var result = KubernetesExport.Export(Model() with { Workloads = [workload] });

        Assert.Equal(["get", "watch"], Single<V1Role>(result).Rules.Single().Verbs);
        var binding = Single<V1RoleBinding>(result);
        Assert.Equal(("Role", "reviews-v1"), (binding.RoleRef.Kind, binding.RoleRef.Name));
        Assert.Equal("reviews-v1", Assert.Single(binding.Subjects).Name);
        Assert.Empty(AllObjects(KubernetesExport.Export(Model())).OfType<V1Role>());
    }

    [Fact]
    public void EveryWrittenDocumentReadsBackAsItsTypeAndWritesAgainTheSame()
    {
        var result = KubernetesExport.Export(Model() with { GitOps = new GitOpsSource("https://example.com/shop.git", "deploy") });

        foreach (var file in result.Files.Where(file => file.Path.EndsWith(".yaml", StringComparison.Ordinal) && !file.Path.EndsWith("kustomization.yaml", StringComparison.Ordinal)))
        {
            var read = KubernetesYaml.LoadAllFromString(file.ToYaml(), CustomResourceTypes.TypeMap);
            Assert.Equal(file.Objects.Select(item => item.GetType()), read.Select(item => item.GetType()));
            Assert.Equal(file.ToYaml(), new ManifestFile(file.Path, read).ToYaml());
        }
    }

    [Fact]
    public void ThePlatformFolderInstallsWhatTheArchitectureRunsFromTheMeshsOwnSettings()
    {
        var model = Model(new MeshConfig { Services = [new MeshServiceConfig("reviews")], AccessLog = AccessLogEncoding.Json, TraceSampling = 10 });

        var platform = KubernetesExport.Export(model).Files.Where(file => file.Path.StartsWith("platform/", StringComparison.Ordinal)).ToList();

        Assert.Equal(["platform/fluentd.yaml", "platform/istio.yaml", "platform/jaeger.yaml", "platform/kustomization.yaml", "platform/prometheus.yaml"], platform.Select(file => file.Path).Order());
        var objects = platform.SelectMany(file => file.Objects).ToList();
        var istio = Assert.Single(objects.OfType<IstioOperator>()).Spec;
        Assert.Equal(("demo", "/dev/stdout", "JSON", true), (istio.Profile, istio.MeshConfig.AccessLogFile, istio.MeshConfig.AccessLogEncoding, istio.MeshConfig.EnablePrometheusMerge));
        Assert.Equal("jaeger-collector.observability.svc.cluster.local", Assert.Single(istio.MeshConfig.ExtensionProviders!).Zipkin!.Service);
        Assert.Equal(10, Assert.Single(Assert.Single(objects.OfType<IstioTelemetry>()).Spec.Tracing!).RandomSamplingPercentage);
        Assert.Equal(("allInOne", "memory"), (Assert.Single(objects.OfType<Jaeger>()).Spec.Strategy, objects.OfType<Jaeger>().Single().Spec.Storage.Type));
        // The platform's Prometheus selects the export's own ServiceMonitors and rules by the label every exported object carries.
        var prometheus = Assert.Single(objects.OfType<Prometheus>()).Spec;
        Assert.Equal("localmesh", prometheus.ServiceMonitorSelector!.MatchLabels["app.kubernetes.io/managed-by"]);
        Assert.Equal(prometheus.ServiceMonitorSelector.MatchLabels, prometheus.RuleSelector!.MatchLabels);
        Assert.Contains("@type json", Assert.Single(objects.OfType<V1ConfigMap>()).Data["fluent.conf"], StringComparison.Ordinal);
        Assert.Single(objects.OfType<V1DaemonSet>());
    }

    [Fact]
    public void APlatformWithoutSomePartsLeavesThemOutAndNoneWritesNoPlatformFolder()
    {
        var withoutLogs = KubernetesExport.Export(Model() with { Platform = PlatformComponents.All & ~PlatformComponents.Fluentd & ~PlatformComponents.Jaeger });
        Assert.DoesNotContain(withoutLogs.Files, file => file.Path is "platform/fluentd.yaml" or "platform/jaeger.yaml");
        // Without Jaeger, Istio has no tracing provider to name.
        Assert.Null(withoutLogs.Files.SelectMany(file => file.Objects).OfType<IstioOperator>().Single().Spec.MeshConfig.ExtensionProviders);

        Assert.DoesNotContain(KubernetesExport.Export(Model() with { Platform = PlatformComponents.None }).Files, file => file.Path.StartsWith("platform/", StringComparison.Ordinal));
    }
}
