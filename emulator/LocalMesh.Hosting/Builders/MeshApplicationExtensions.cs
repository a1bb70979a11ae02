using LocalMesh.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>Access to the running mesh from a started app, e.g. in Aspire.Hosting.Testing tests.</summary>
public static class MeshApplicationExtensions
{
    /// <summary>The running mesh: its data plane, and runtime control of faults and routes.</summary>
    /// <param name="app">A started app whose model has a mesh.</param>
    /// <exception cref="InvalidOperationException">The app has no mesh, is not started, or runs in publish mode.</exception>
    /// <example>
    /// <code>
    /// await using var app = await builder.BuildAsync();
    /// await app.StartAsync();
    /// app.GetMesh().SetFault("ratings", new HttpFaultInjection { Abort = new FaultAbort(500, Percentage: 100) });
    /// </code>
    /// </example>
    public static MeshControl GetMesh(this DistributedApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetService<MeshRuntime>()?.Control
            ?? throw new InvalidOperationException("The app has no running mesh: call AddMesh in the AppHost and start the app in run mode.");
    }
}
