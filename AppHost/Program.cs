// The sample app: Istio's bookinfo, written in C#, behind the LocalMesh emulator.
//
//   ingress (http://localhost:9080) ─► productpage ─┬─► details
//                                                    └─► reviews v1 | v2 | v3 ─► ratings (v2, v3)
//
// Every arrow goes through the mesh: the caller's outbound sidecar, then the callee's inbound one.
// `--scenario <name>` starts it with the routes of one of Istio's bookinfo tasks (see README).
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

var mesh = builder.AddMesh("mesh");

var ratings = mesh.AddService("ratings")
    .WithWorkload(Workload<Projects.Ratings>("ratings-v1"), version: "v1");

var details = mesh.AddService("details")
    .WithWorkload(Workload<Projects.Details>("details-v1"), version: "v1");

var reviews = mesh.AddService("reviews");
foreach (var (version, replicas) in new[] { ("v1", 2), ("v2", 1), ("v3", 1) })
{
    var workload = Workload<Projects.Reviews>($"reviews-{version}")
        .WithEnvironment("SERVICE_VERSION", version)
        .WithReplicas(replicas);
    if (version != "v1")
    {
        workload.WithReference(ratings);
    }

    reviews.WithWorkload(workload, version);
}

var productpage = mesh.AddService("productpage")
    .WithWorkload(
        Workload<Projects.ProductPage>("productpage-v1")
            .WithReference(details)
            .WithReference(reviews),
        version: "v1");

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
foreach (var service in new[] { productpage, details, reviews, ratings })
{
    foreach (var subset in BookinfoScenarios.Subsets[service.Resource.Name])
    {
        service.WithPort(9080).WithSubset(subset);
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
    .WithRoute(productpage);

try
{
    builder.Build().Run();
    return 0;
}
catch (Exception error) when (error.GetBaseException() is MeshModelException model)
{
    // One clear message, no stack trace: the model is wrong, not the program.
    Console.Error.WriteLine(model.Message);
    return 1;
}

// A sample service: an HTTP endpoint, and ready (for the mesh and for Kubernetes) when /ready says so.
IResourceBuilder<ProjectResource> Workload<TProject>(string name) where TProject : IProjectMetadata, new() =>
    builder.AddProject<TProject>(name)
        .WithHttpEndpoint()
        .WithHttpHealthCheck("/ready");
