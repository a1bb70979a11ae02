// The sample app: Istio's bookinfo, written in C#, behind the LocalMesh emulator.
//
//   ingress (http://localhost:9080) ─► productpage ─┬─► details ─► redis-cache (RESP over TCP)
//                                                    ├─► inventory v1 | v2 (gRPC: a call per page, a stream of updates)
//                                                    └─► reviews v1 | v2 | v3 ─┬─► ratings (v2, v3)
//                                                                               ├─► sentiment (a function, ?sentiment=true)
//                                                                               └─► events (a broker, POST /reviews/{id})
//                                                                                     └─► review-notifier (a function)
//                                                                                           └ failed ─► dead-letters
//
// Every arrow goes through the mesh: the caller's outbound sidecar, then the callee's inbound one
// (for a function, the activator, which starts an instance when none runs). The workloads run as
// bookinfo's service accounts (bookinfo-productpage, bookinfo-reviews, ...), so the principals in
// Istio's authorization examples name them.
// `--scenario <name>` starts it with the routes of one of Istio's bookinfo tasks (see README).
using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

var scenario = builder.Configuration["scenario"];
if (scenario is not null && !BookinfoScenarios.All.ContainsKey(scenario))
{
    Console.Error.WriteLine($"Unknown scenario '{scenario}'. Choose one of:");
    foreach (var (name, known) in BookinfoScenarios.All)
    {
        Console.Error.WriteLine($"  {name,-26} {known.Description}");
    }

    return 2;
}

// `--mesh-config <file-or-folder>` (may be given more than once): the traffic rules come from
// Istio YAML, as a team keeps it next to its code, and the sample declares none of its own (as
// bookinfo starts with none before `kubectl apply`).
var meshConfig = args.Select((arg, index) => (arg, index)).Where(a => a.arg == "--mesh-config")
    .Select(a => a.index + 1 < args.Length ? args[a.index + 1] : null).ToList();
if (meshConfig.Contains(null))
{
    Console.Error.WriteLine("--mesh-config needs a file or folder of Istio YAML, e.g. --mesh-config ../deploy/istio");
    return 2;
}

if (meshConfig.Count > 0 && scenario is not null)
{
    Console.Error.WriteLine("Choose --scenario (rules written in C#) or --mesh-config (rules from YAML), not both.");
    return 2;
}

// With --mesh-config the files alone give the rules: routes, subsets, functions' traffic and scaling, triggers.
var rulesInCode = meshConfig.Count == 0;
var mesh = builder.AddMesh("mesh")
    // The export (see README) also writes an Argo CD Application that syncs the production overlay.
    .WithGitOpsRepository("https://github.com/example/bookinfo.git", "deploy/overlays/production");
if (rulesInCode)
{
    // Each replica in turn, so every reload of the page shows the next version; Istio's default,
    // LEAST_REQUEST, is the mesh's without this line (and with --mesh-config, where the files alone
    // decide). The export writes it into every DestinationRule, so the cluster balances the same way.
    mesh.WithDefaultLoadBalancer(SimpleLoadBalancer.RoundRobin);
}

foreach (var path in meshConfig)
{
    mesh.WithConfigurationFiles(path!);
}

var ratings = mesh.AddService("ratings")
    .WithWorkload(Workload<Projects.Ratings>("ratings-v1"), version: "v1", serviceAccount: "bookinfo-ratings");

// A Redis-compatible cache in front of details, through TCP sidecars: Microsoft Garnet embedded in a
// project locally (no Docker), redis:alpine on 6379 when exported.
var cache = mesh.AddService("redis-cache")
    .WithPort(6379)
    .WithWorkload(
        builder.AddProject<Projects.RedisCache>("redis-cache-v1")
            .WithEndpoint(scheme: "tcp", name: "tcp", env: "REDIS_PORT", isProxied: false)
            .WithKubernetesImage("redis:alpine", containerPort: 6379)
            .WithKubernetesResources(cpuRequest: "50m", memoryRequest: "64Mi", memoryLimit: "128Mi"),
        version: "v1",
        serviceAccount: "bookinfo-redis-cache");

var details = mesh.AddService("details")
    .WithWorkload(Workload<Projects.Details>("details-v1").WithReference(cache), version: "v1", serviceAccount: "bookinfo-details");

// Functions scale to zero: each starts one instance with the app (Knative's initial-scale), which
// stops after 6 s without traffic; the next call waits in the activator while one starts. With
// --mesh-config their traffic, scaling and triggers come from Knative YAML instead.
var idleAfterSixSeconds = new FunctionScaling { Window = TimeSpan.FromSeconds(6) };
var sentiment = mesh.AddFunction<Projects.Sentiment>("sentiment")
    // A stricter second revision, reachable only with the header knative-serving-tag: canary.
    .WithRevision(new Dictionary<string, string> { ["SENTIMENT_THRESHOLD"] = "2" });
var notifier = mesh.AddFunction<Projects.ReviewNotifier>("review-notifier");
var deadLetters = mesh.AddFunction<Projects.ReviewNotifier>("dead-letters").WithEnvironment("ROLE", "sink");
var events = mesh.AddBroker("events");
if (rulesInCode)
{
    sentiment.WithScaling(idleAfterSixSeconds with { ContainerConcurrency = 10, MaxScale = 3 })
        .WithTraffic("sentiment-00001", 100)
        .WithTraffic("sentiment-00002", 0, tag: "canary");
    notifier.WithScaling(idleAfterSixSeconds);
    deadLetters.WithScaling(idleAfterSixSeconds);
    events.WithTrigger("review-posted", notifier,
        filter: new Dictionary<string, string> { ["type"] = "com.bookinfo.review.posted" },
        delivery: new DeliverySpec { Retry = 2, BackoffDelay = TimeSpan.FromMilliseconds(200), DeadLetterSink = deadLetters.Resource.Name });
}

// A gRPC service: its endpoint speaks HTTP/2 (AsHttp2Service), so its sidecars do too, and
// productpage's one channel has each call balanced over the replicas.
var inventory = mesh.AddService("inventory");
foreach (var (version, replicas) in new[] { ("v1", 2), ("v2", 1) })
{
    inventory.WithWorkload(
        builder.AddProject<Projects.Inventory>($"inventory-{version}")
            .WithHttpEndpoint()
            .AsHttp2Service()
            .WithEnvironment("SERVICE_VERSION", version)
            .WithReplicas(replicas),
        version,
        serviceAccount: "bookinfo-inventory");
}

var reviews = mesh.AddService("reviews");
foreach (var (version, replicas) in new[] { ("v1", 2), ("v2", 1), ("v3", 1) })
{
    var workload = Workload<Projects.Reviews>($"reviews-{version}")
        .WithEnvironment("SERVICE_VERSION", version)
        .WithReplicas(replicas)
        .WithReference(sentiment)
        .WithReference(events);
    if (version != "v1")
    {
        workload.WithReference(ratings);
    }

    reviews.WithWorkload(workload, version, serviceAccount: "bookinfo-reviews");
}

var productpage = mesh.AddService("productpage")
    .WithWorkload(
        Workload<Projects.ProductPage>("productpage-v1")
            .WithReference(details)
            .WithReference(reviews)
            .WithReference(inventory)
            // A ConfigMap per kustomize overlay when exported; locally the development value applies.
            .WithEnvironmentOverlay("development", "Logging__LogLevel__Default", "Debug")
            .WithEnvironmentOverlay("production", "Logging__LogLevel__Default", "Warning")
            .WithKubernetesResources(cpuRequest: "100m", memoryRequest: "128Mi", memoryLimit: "256Mi")
            .WithReplicas(1),
        version: "v1",
        serviceAccount: "bookinfo-productpage");

// A load client in the mesh, like Istio's fortio and sleep samples: GET <loadclient>/run?target=reviews.
var chosen = scenario is null ? null : BookinfoScenarios.All[scenario];
mesh.AddService("loadclient").WithWorkload(
    Workload<Projects.LoadClient>("loadclient-v1")
        .WithReference(details)
        .WithReference(reviews)
        .WithEnvironment("LOAD_ON_START", (chosen?.LoadOnStart == true).ToString()),
    version: "v1");

foreach (var policy in chosen?.PeerAuthentications ?? [])
{
    mesh.WithPeerAuthentication(policy);
}

foreach (var policy in chosen?.AuthorizationPolicies ?? [])
{
    mesh.WithAuthorizationPolicy(policy);
}

// bookinfo's destination-rule-all: a subset per version, and the scenario's rules if one was chosen.
foreach (var service in new[] { productpage, details, reviews, ratings, inventory })
{
    service.WithPort(9080);
    foreach (var subset in rulesInCode ? BookinfoScenarios.Subsets[service.Resource.Name] : [])
    {
        service.WithSubset(subset);
    }

    foreach (var route in chosen?.Routes.GetValueOrDefault(service.Resource.Name, []) ?? [])
    {
        service.WithHttpRoute(route);
    }

    if (chosen?.Policies?.GetValueOrDefault(service.Resource.Name) is { } policy)
    {
        service.WithTrafficPolicy(policy);
    }
}

// A fixed port, so the page is always at http://localhost:9080/productpage; tests pass
// --IngressPort=0 to run beside a developer's app.
mesh.AddIngressGateway("ingress", port: builder.Configuration.GetValue("IngressPort", MeshBuilderExtensions.DefaultIngressPort))
    .WithRoute(productpage)
    .WithLandingPage("/productpage");

// A mistake in the model stops the AppHost before anything starts, with one message and exit code 1.
builder.Build().Run();
// A pipeline step (e.g. k8s-deploy) that failed with a clear message sets the exit code.
return Environment.ExitCode;

// A sample service: an HTTP endpoint, and ready (for the mesh and for Kubernetes) when /ready says so.
IResourceBuilder<ProjectResource> Workload<TProject>(string name) where TProject : IProjectMetadata, new() =>
    builder.AddProject<TProject>(name)
        .WithHttpEndpoint()
        .WithHttpHealthCheck("/ready");
