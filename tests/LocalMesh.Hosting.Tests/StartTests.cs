using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.Hosting.Tests;

/// <summary>An invalid mesh model stops the app before anything starts.</summary>
public sealed class StartTests
{
    [Fact]
    public async Task StartingAnInvalidModelFailsBeforeAnyResourceStarts()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true, Args = [] });
        // Paths that do not exist: if anything tried to start DCP, the test would fail on that instead.
        builder.Configuration["DcpPublisher:CliPath"] = "/nonexistent/dcp";
        builder.Configuration["DcpPublisher:DashboardPath"] = "/nonexistent/dashboard";
        var mesh = builder.AddMesh("mesh");
        mesh.AddService("empty");
        var canary = builder.AddExecutable("canary", "sleep", ".", "60");
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<MeshModelException>(() => app.StartAsync(cancellation.Token));

        Assert.Equal("empty", Assert.Single(error.Errors).Resource);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        Assert.False(notifications.TryGetCurrentState(canary.Resource.Name, out var state) && state.Snapshot.State?.Text == KnownResourceStates.Running);
    }
}
