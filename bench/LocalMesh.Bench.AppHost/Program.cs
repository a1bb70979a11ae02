// The generated app of the start-up and memory benchmarks: --services N services in a chain
// (each calls the next), each with one workload, with the mesh (--mesh true) or plain Aspire
// references (--mesh false). Workloads are the details sample (--workload project, health-checked)
// or `sleep` processes (--workload sleep: cheap, so the AppHost's own memory is what grows).
// Prints "READY <ms since the process started>" once every workload is up and, with the mesh,
// once the mesh says it is ready (its ingress serves).
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

var builder = DistributedApplication.CreateBuilder(args);
var count = builder.Configuration.GetValue("services", 5);
var withMesh = builder.Configuration.GetValue("mesh", true);
var projects = (builder.Configuration["workload"] ?? "project") == "project";

var mesh = withMesh ? builder.AddMesh("mesh") : null;
IResourceBuilder<IResourceWithServiceDiscovery>? next = null;
var workloads = new List<string>();
for (var i = count - 1; i >= 0; i--)
{
    var name = $"svc{i}-v1";
    workloads.Add(name);
    if (projects)
    {
        var project = builder.AddProject<Projects.Details>(name).WithHttpEndpoint().WithHttpHealthCheck("/ready");
        if (next is not null)
        {
            project.WithReference(next);
        }

        next = mesh is null ? project : mesh.AddService($"svc{i}").WithWorkload(project);
    }
    else
    {
        var executable = builder.AddExecutable(name, "sleep", ".", "infinity").WithHttpEndpoint();
        if (mesh is not null)
        {
            if (next is not null)
            {
                executable.WithReference(next);
            }

            next = mesh.AddService($"svc{i}").WithWorkload(executable);
        }
    }
}

if (mesh is not null && projects && next is IResourceBuilder<MeshServiceResource> first)
{
    // The door a person would use: ready means it serves.
    mesh.AddIngressGateway("ingress", port: 0).WithRoute(first);
}

using var app = builder.Build();
await app.StartAsync();
var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
foreach (var name in workloads)
{
    if (projects)
    {
        await notifications.WaitForResourceHealthyAsync(name);
    }
    else
    {
        await notifications.WaitForResourceAsync(name, KnownResourceStates.Running);
    }
}

if (mesh is not null && projects)
{
    // What a person waits for with the mesh: its ready signal (every workload ready, the ingress serving).
    await notifications.WaitForResourceAsync(mesh.Resource.Name, KnownResourceStates.Running);
}

Console.WriteLine($"READY {(DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds:0}");
// Until the bench stops it (SIGTERM).
await Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(app);
