// An app shaped like Aspire's starter template, meshed with one line: every project gets
// sidecars, and the front end's calls to the API go through them.
var builder = DistributedApplication.CreateBuilder(args);

builder.AddMesh("mesh").WithAutomaticSidecars();

var apiService = builder.AddProject<Projects.ApiService>("apiservice")
    .WithHttpHealthCheck("/ready")
    .WithReplicas(3);

builder.AddProject<Projects.Web>("webfrontend")
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/ready")
    .WithReference(apiService)
    .WaitFor(apiService);

builder.Build().Run();
