using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Aspire.Hosting.Lifecycle;

namespace LocalMesh.Hosting;

/// <summary>
/// Starts the mesh when the app starts, in run mode only: registered once by
/// <see cref="MeshBuilderExtensions.AddMeshCore"/>, however many resources ask for the mesh.
/// </summary>
internal sealed class MeshSubscriber(MeshRuntime runtime) : IDistributedApplicationEventingSubscriber
{
    public Task SubscribeAsync(IDistributedApplicationEventing eventing, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        if (executionContext.IsRunMode)
        {
            // Before DCP starts anything: the model is checked first, and callers must be wired to their sidecars before their environment is read.
            eventing.Subscribe<BeforeStartEvent>((@event, token) => runtime.StartAsync(@event.Model, token));
        }

        return Task.CompletedTask;
    }
}
