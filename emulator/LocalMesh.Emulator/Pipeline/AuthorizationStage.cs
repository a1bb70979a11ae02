using System.Diagnostics;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// The inbound sidecar's RBAC: the workload's AuthorizationPolicies decide, in Istio's order,
/// against the identity the peer proved. A denial is 403 <c>RBAC: access denied</c>, a span
/// event naming the policy, and a count.
/// </summary>
internal sealed class AuthorizationStage(RequestDelegate next, MeshMetrics metrics)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        if (request.Snapshot.InboundSecurity[request.Listener.Name] is not { Policies.Length: > 0 } security)
        {
            return next(context);
        }

        var principal = request.SourceIdentity is { } peer ? SpiffeId.Principal(peer) : null;
        var decision = AuthorizationEvaluator.Evaluate(
            security.Policies,
            new AuthorizationRequest(principal, context.Connection.RemoteIpAddress, security.Port, context.Request));
        var tags = new TagList
        {
            { MeshTelemetry.Attributes.DestinationWorkload, request.Listener.Workload },
            { "policy", decision.Policy ?? "none" },
        };
        foreach (var audited in decision.Audited)
        {
            Activity.Current?.AddEvent(new ActivityEvent("rbac.audit", tags: new ActivityTagsCollection { ["policy"] = audited }));
        }

        if (decision.Allowed)
        {
            metrics.Allowed.Add(1, tags);
            return next(context);
        }

        metrics.Denied.Add(1, tags);
        request.DeniedBy = decision.Policy ?? "none";
        Activity.Current?.AddEvent(new ActivityEvent("rbac.denied", tags: new ActivityTagsCollection
        {
            ["policy"] = decision.Policy,
            ["source_principal"] = principal ?? "(none: plaintext)",
        }));
        return Responses.AccessDenied(context, request);
    }
}
