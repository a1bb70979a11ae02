using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using k8s.Models;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Kubernetes.Deploy;
using LocalMesh.Kubernetes.Export;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Kubernetes.Tests;

/// <summary>
/// The deploy: its plan, its errors without a cluster or engine, and its requests to an API
/// server (a small fake on a real socket that records them and reports workloads ready).
/// </summary>
public sealed class DeployTests
{
    private static ExportResult Export()
    {
        var workload = new WorkloadSpec("reviews-v1", "reviews", "localmesh/reviews:dev")
        {
            Labels = ImmutableDictionary<string, string>.Empty.Add("app", "reviews").Add("version", "v1"),
            ServiceAccount = "reviews-v1",
            ConfigByEnvironment = ImmutableDictionary<string, ImmutableDictionary<string, string>>.Empty
                .Add("production", ImmutableDictionary<string, string>.Empty.Add("LOG_LEVEL", "Warning")),
        };
        var function = new FunctionSpec("sentiment", "localmesh/sentiment:dev")
        {
            Revisions = [new("sentiment-00001", ImmutableDictionary<string, string>.Empty), new("sentiment-00002", ImmutableDictionary<string, string>.Empty.Add("T", "2"))],
            Traffic = [new("sentiment-00001", 100, null), new("sentiment-00002", 0, "canary")],
        };
        return KubernetesExport.Export(new KubernetesAppModel("shop", new MeshConfig { Services = [new MeshServiceConfig("reviews"), new MeshServiceConfig("sentiment")] })
        {
            Workloads = [workload],
            Functions = [function],
        });
    }

    [Fact]
    public void ThePlanAppliesNamespacesAndIdentitiesFirstTheOverlaysConfigMapAndOlderRevisionsBeforeTheLatest()
    {
        var plan = DeployPlan.For(Export(), "production");

        var kinds = plan.Steps.Select(item => item.Kind).ToList();
        Assert.Equal("Namespace", kinds[0]);
        Assert.True(kinds.IndexOf("ServiceAccount") < kinds.IndexOf("Deployment"));
        Assert.True(kinds.IndexOf("ConfigMap") < kinds.IndexOf("Deployment"));
        var config = Assert.Single(plan.Steps.OfType<V1ConfigMap>());
        Assert.Equal("Warning", config.Data["LOG_LEVEL"]);
        var revisions = plan.Steps.OfType<KnativeService>().Select(service => service.Spec.Template.Metadata.Name).ToList();
        Assert.Equal(["sentiment-00001", "sentiment-00002"], revisions);
        Assert.Contains("apply v1 Namespace default", plan.Describe("kind-shop"));
    }

    [Fact]
    public void WithThePlatformItsObjectsComeFirstAndWithoutItNoneIsApplied()
    {
        var without = DeployPlan.For(Export(), "development");
        var with = DeployPlan.For(Export(), "development", withPlatform: true);

        Assert.DoesNotContain(without.Steps, item => item.Kind is "IstioOperator" or "Prometheus" or "DaemonSet");
        var added = with.Steps.Count - without.Steps.Count;
        var platform = with.Steps.Take(added).Select(item => item.Kind).ToList();
        // The app's own objects follow, in the same order as without the platform.
        Assert.Equal(without.Steps.Select(item => (item.Kind, item.Metadata.Name)), with.Steps.Skip(added).Select(item => (item.Kind, item.Metadata.Name)));
        Assert.Contains("IstioOperator", platform);
        Assert.Contains("Jaeger", platform);
        Assert.True(platform.IndexOf("ClusterRole") < platform.IndexOf("Prometheus"));
        Assert.Contains("apply install.istio.io/v1alpha1 IstioOperator istio-system/", with.Describe("kind-shop"), StringComparison.Ordinal);
    }

    [Fact]
    public void AnOverlayThatDoesNotExistIsNamedWithTheOnesThatDo()
    {
        var error = Assert.Throws<DeployException>(() => DeployPlan.For(Export(), "staging"));

        Assert.Equal("The export has no 'staging' overlay; choose one of: development, production.", error.Message);
    }

    [Fact]
    public async Task AMissingKubeconfigIsAClearError()
    {
        var error = await Assert.ThrowsAsync<DeployException>(() => ClusterDeployer.ConnectAsync(Path.Combine(Path.GetTempPath(), "no-such-kubeconfig"), null));

        Assert.StartsWith("No cluster to deploy to", error.Message);
        Assert.Contains("kind create cluster --config <output>/kind/cluster.config", error.Message);
    }

    [Fact]
    public async Task WithNoKubeconfigAnywhereTheErrorSaysWhereItLooked()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-kubeconfig-{Guid.NewGuid():N}");
        var before = Environment.GetEnvironmentVariable("KUBECONFIG");
        Environment.SetEnvironmentVariable("KUBECONFIG", missing);
        try
        {
            var error = await Assert.ThrowsAsync<DeployException>(() => ClusterDeployer.ConnectAsync());

            Assert.StartsWith($"No kubeconfig was found (looked at {missing}).", error.Message);
            Assert.DoesNotContain("localhost:8080", error.Message);
            Assert.Contains("Point KUBECONFIG at a cluster", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("KUBECONFIG", before);
        }
    }

    [Fact]
    public async Task AClusterThatDoesNotAnswerIsAClearError()
    {
        var kubeconfig = await KubeconfigAsync(new Uri("http://127.0.0.1:1"));

        var error = await Assert.ThrowsAsync<DeployException>(() => ClusterDeployer.ConnectAsync(kubeconfig, null));

        Assert.StartsWith("The cluster test (http://127.0.0.1:1/) does not answer", error.Message);
    }

    [Fact]
    public async Task ADockerEngineThatDoesNotAnswerIsAClearError()
    {
        var socket = new Uri($"unix://{Path.Combine(Path.GetTempPath(), $"no-docker-{Guid.NewGuid():N}.sock")}");

        var error = await Assert.ThrowsAsync<DeployException>(() => KindImages.ConnectAsync(socket));

        Assert.StartsWith($"No Docker engine answers at {socket}", error.Message);
    }

    [Fact]
    public async Task EveryObjectIsServerSideAppliedAsLocalMeshAndTheRolloutWaitsForReadiness()
    {
        await using var server = await FakeApiServer.StartAsync();
        var (client, target) = await ClusterDeployer.ConnectAsync(await KubeconfigAsync(server.Address), null);
        var progress = new List<string>();
        var plan = DeployPlan.For(Export(), "development");

        var results = await new ClusterDeployer(client, progress.Add, TimeSpan.FromMilliseconds(20)).DeployAsync(plan, TimeSpan.FromSeconds(10));

        Assert.Equal(plan.Steps.Count, server.Patches.Count);
        Assert.All(server.Patches, patch =>
        {
            Assert.StartsWith("application/apply-patch+yaml", patch.ContentType);
            Assert.Contains("fieldManager=localmesh", patch.Query);
            Assert.Contains("force=true", patch.Query);
        });
        Assert.Contains(server.Patches, patch => patch.Path == "/api/v1/namespaces/default");
        Assert.Contains(server.Patches, patch => patch.Path == "/apis/apps/v1/namespaces/default/deployments/reviews-v1");
        Assert.Contains(server.Patches, patch => patch.Path == "/apis/serving.knative.dev/v1/namespaces/default/services/sentiment");
        Assert.Equal([("deployment/reviews-v1", true), ("ksvc/sentiment", true)], results.Select(r => (r.Name, r.Ready)).Order());
        Assert.Contains("deployment/reviews-v1: 1/1 ready, 1 updated", progress);
        Assert.StartsWith("test (", target);
    }

    [Fact]
    public async Task TheTeamsCarriedObjectsAreAppliedAsWrittenInTheirOwnVersionAndAnUnknownKindIsSaidBeforeAnythingIsApplied()
    {
        CarriedObject Carried(string apiVersion, string kind, string name, string yaml) => new(apiVersion, kind, "default", name, yaml.ReplaceLineEndings("\n"), $"team/{name}.yaml:1:1");
        var route = Carried("gateway.networking.k8s.io/v1beta1", "HTTPRoute", "reviews", """
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: HTTPRoute
            metadata:
              name: reviews
            spec:
              parentRefs:
              - {kind: Service, name: reviews, port: 9080}
              rules:
              - backendRefs:
                - {name: reviews-v1, port: 9080, weight: 90}
                - {name: reviews-v2, port: 9080, weight: 10}
            """);
        var version = Carried("v1", "Service", "reviews-v1", """
            apiVersion: v1
            kind: Service
            metadata:
              name: reviews-v1
            spec:
              selector: {app: reviews, version: v1}
              ports:
              - {port: 9080, name: http}
            """);
        ExportResult Export(params CarriedObject[] carried) => KubernetesExport.Export(new KubernetesAppModel("shop", new MeshConfig { Services = [new MeshServiceConfig("reviews") { Port = 9080 }] }) { Carried = [.. carried] });
        await using var server = await FakeApiServer.StartAsync();
        var (client, _) = await ClusterDeployer.ConnectAsync(await KubeconfigAsync(server.Address), null);

        await new ClusterDeployer(client, _ => { }, TimeSpan.FromMilliseconds(20)).DeployAsync(DeployPlan.For(Export(route, version), "development"), TimeSpan.FromSeconds(10));

        // In the version the file writes, every field as written (numbers as numbers).
        var applied = System.Text.Json.JsonDocument.Parse(server.Bodies["/apis/gateway.networking.k8s.io/v1beta1/namespaces/default/httproutes/reviews"]).RootElement;
        Assert.Equal("gateway.networking.k8s.io/v1beta1", applied.GetProperty("apiVersion").GetString());
        Assert.Equal(90, applied.GetProperty("spec").GetProperty("rules")[0].GetProperty("backendRefs")[0].GetProperty("weight").GetInt32());
        Assert.Equal("default", applied.GetProperty("metadata").GetProperty("namespace").GetString());
        Assert.Contains("/api/v1/namespaces/default/services/reviews-v1", server.Bodies.Keys);

        var unknown = Carried("example.com/v1", "Widget", "w", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n");
        var error = Assert.Throws<DeployException>(() => DeployPlan.For(Export(route, unknown), "development"));
        Assert.StartsWith("The export carries objects of kinds deploy does not apply: example.com/v1 Widget default/w (team/w.yaml:1:1). Apply base/carried.yaml with kubectl apply -f", error.Message);
    }

    private static async Task<string> KubeconfigAsync(Uri server)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: {server}
            users:
            - name: test
              user:
                token: test
            contexts:
            - name: test
              context:
                cluster: test
                user: test
            current-context: test
            """);
        return path;
    }

    /// <summary>An API server that accepts every apply and reports every workload ready.</summary>
    private sealed class FakeApiServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeApiServer(WebApplication app) => _app = app;

        public ConcurrentQueue<(string Path, string Query, string? ContentType)> Patches { get; } = new();

        public ConcurrentDictionary<string, string> Bodies { get; } = new();

        public Uri Address => new(_app.Urls.Single());

        public static async Task<FakeApiServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new FakeApiServer(app);
            app.Run(async context =>
            {
                var request = context.Request;
                if (HttpMethods.IsPatch(request.Method))
                {
                    server.Patches.Enqueue((request.Path.Value!, request.QueryString.Value ?? "", request.ContentType));
                    using var reader = new StreamReader(request.Body);
                    var body = await reader.ReadToEndAsync();
                    server.Bodies[request.Path.Value!] = body;
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(body);
                    return;
                }

                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(request.Path.Value switch
                {
                    "/version" => """{"major":"1","minor":"32","gitVersion":"v1.32.0"}""",
                    var path when path!.Contains("/deployments/", StringComparison.Ordinal) =>
                        """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"reviews-v1","generation":1},"spec":{"replicas":1},"status":{"observedGeneration":1,"readyReplicas":1,"updatedReplicas":1}}""",
                    _ => """{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"sentiment"},"status":{"conditions":[{"type":"Ready","status":"True"}]}}""",
                });
            });
            await app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
