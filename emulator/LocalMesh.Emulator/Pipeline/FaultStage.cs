using LocalMesh.Emulator.Randomness;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// The route's fault injection, as Envoy's fault filter does it: first the delay, then the
/// abort, each decided on its own with its own percentage. No percentage injects nothing.
/// </summary>
internal sealed class FaultStage(RequestDelegate next, TimeProvider time, IMeshRandom random, MeshMetrics metrics)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        return request.Route?.Config.Fault is { } fault ? InjectAsync(context, request, fault) : next(context);
    }

    private async Task InjectAsync(HttpContext context, MeshRequest request, Configuration.HttpFaultInjection fault)
    {
        if (fault.Delay is { } delay && Chosen(delay.Percentage))
        {
            request.Flags |= ResponseFlags.DelayInjected;
            metrics.DelaysInjected.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.DestinationService, request.DestinationService));
            await Task.Delay(delay.FixedDelay, time, context.RequestAborted);
        }

        if (fault.Abort is { } abort && Chosen(abort.Percentage))
        {
            metrics.AbortsInjected.Add(1, new KeyValuePair<string, object?>(MeshTelemetry.Attributes.DestinationService, request.DestinationService));
            await Responses.FaultAbort(context, request, abort);
            return;
        }

        await next(context);
    }

    /// <summary>Whether this request is in the percentage; no percentage means none (Istio 1.16+).</summary>
    private bool Chosen(double? percentage) => percentage is { } value && value > 0 && random.NextDouble() * 100 < value;
}
