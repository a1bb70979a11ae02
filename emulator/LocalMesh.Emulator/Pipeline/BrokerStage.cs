using LocalMesh.Emulator.Eventing;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// A broker's ingress (Knative's broker-ingress): a POSTed CloudEvent in either content mode is
/// answered 202 and handed to the broker's triggers; anything else is refused with the reason.
/// The last stage of a broker's listener.
/// </summary>
internal sealed class BrokerStage(EventBroker broker)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        var name = request.Listener.Workload!;
        request.DestinationService = name;
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "POST";
            return;
        }

        CloudEvent cloudEvent;
        try
        {
            cloudEvent = await CloudEvent.ReadAsync(context.Request, context.RequestAborted);
        }
        catch (FormatException ex)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"{name}: {ex.Message}", context.RequestAborted);
            return;
        }

        var config = request.Snapshot.Config.Brokers.Single(b => b.Name == name);
        broker.Publish(config, cloudEvent);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }
}
