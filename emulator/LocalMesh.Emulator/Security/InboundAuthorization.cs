using System.Collections.Immutable;
using System.Diagnostics;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;

namespace LocalMesh.Emulator.Security;

/// <summary>
/// The inbound sidecar's RBAC for HTTP requests and TCP connections alike, as Envoy's HTTP and
/// network RBAC filters share one engine: the workload's AuthorizationPolicies decide in Istio's
/// order (<see cref="AuthorizationEvaluator"/>), each decision is counted, and audits and denials
/// are span events naming the policy. What a denial does is the caller's: a 403, or a closed connection.
/// </summary>
internal sealed class InboundAuthorization(MeshMetrics metrics)
{
    /// <summary>The policy that denies <paramref name="request"/> to <paramref name="workload"/> (<c>none</c> when no ALLOW policy matched), or null when it is allowed.</summary>
    public string? Deny(ImmutableArray<AuthorizationPolicy> policies, string? workload, AuthorizationRequest request)
    {
        if (policies.IsEmpty)
        {
            return null;
        }

        var decision = AuthorizationEvaluator.Evaluate(policies, request);
        var tags = new TagList
        {
            { MeshTelemetry.Attributes.DestinationWorkload, workload },
            { "policy", decision.Policy ?? "none" },
        };
        foreach (var audited in decision.Audited)
        {
            Activity.Current?.AddEvent(new ActivityEvent("rbac.audit", tags: new ActivityTagsCollection { ["policy"] = audited }));
        }

        if (decision.Allowed)
        {
            metrics.Allowed.Add(1, tags);
            return null;
        }

        metrics.Denied.Add(1, tags);
        Activity.Current?.AddEvent(new ActivityEvent("rbac.denied", tags: new ActivityTagsCollection
        {
            ["policy"] = decision.Policy,
            ["source_principal"] = request.Principal ?? "(none: plaintext)",
        }));
        return decision.Policy ?? "none";
    }
}
