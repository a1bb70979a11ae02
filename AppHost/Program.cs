using Microsoft.Extensions.Configuration;

// The sample app: Istio's bookinfo, written in C#, behind the LocalMesh emulator.
//
//   ingress (http://localhost:9080) ─► productpage ─┬─► details
//                                                    └─► reviews v1 | v2 | v3 ─► ratings (v2, v3)
//
// Every arrow goes through the mesh: the caller's outbound sidecar, then the callee's inbound one.
var builder = DistributedApplication.CreateBuilder(args);

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

// A fixed port, so the page is always at http://localhost:9080/productpage; tests pass
// --IngressPort=0 to run beside a developer's app.
mesh.AddIngressGateway("ingress", port: builder.Configuration.GetValue("IngressPort", MeshBuilderExtensions.DefaultIngressPort))
    .WithRoute(productpage);

builder.Build().Run();

// A sample service: an HTTP endpoint, and ready (for the mesh and for Kubernetes) when /ready says so.
IResourceBuilder<ProjectResource> Workload<TProject>(string name) where TProject : IProjectMetadata, new() =>
    builder.AddProject<TProject>(name)
        .WithHttpEndpoint()
        .WithHttpHealthCheck("/ready");
