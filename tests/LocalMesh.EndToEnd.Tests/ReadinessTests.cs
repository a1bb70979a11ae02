using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>Ready means serving: a workload without health checks is ready once its port accepts a connection, not once its process runs.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class ReadinessTests
{
    [RequiresCommandFact("python3", "Debian: apt-get install python3")]
    public async Task AWorkloadWithoutHealthChecksIsNotReadyUntilItsPortAcceptsConnections()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        // An app of its own, started with the orchestrator the sample's AppHost was built with.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            AssemblyName = typeof(Projects.AppHost).Assembly.GetName().Name,
            DisableDashboard = true,
            Args = [],
        });
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.AddMesh("mesh").WithAutomaticSidecars();
        // Running at once, listening only three seconds later (an application's start-up), with no health check to say so.
        var late = builder.AddExecutable("late", "bash", ".", "-c", "sleep 3; exec python3 -m http.server \"$PORT\" --bind 127.0.0.1")
            .WithHttpEndpoint(env: "PORT", isProxied: false);
        await using var app = builder.Build();
        await app.StartAsync(cancellation.Token);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();

        await notifications.WaitForResourceAsync("mesh", KnownResourceStates.Running, cancellation.Token);

        // By the time the mesh says ready, the application listens.
        using var connection = new TcpClient();
        await connection.ConnectAsync("127.0.0.1", late.Resource.GetEndpoint("http").Port, cancellation.Token);
        await app.StopAsync(cancellation.Token);
    }
}
