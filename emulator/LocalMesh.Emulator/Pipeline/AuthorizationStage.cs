using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Pipeline;

/// <summary>
/// The inbound sidecar's RBAC on each request (<see cref="InboundAuthorization"/>, which TCP
/// connections go through too), against the identity the peer proved. A denial is 403
/// <c>RBAC: access denied</c>.
/// </summary>
internal sealed class AuthorizationStage(RequestDelegate next, InboundAuthorization authorization)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = MeshRequest.Get(context);
        var security = request.Snapshot.InboundSecurity[request.Listener.Name];
        if (security.Policies.IsEmpty)
        {
            // No policy: nothing to decide, and nothing to build the decision's input for.
            return next(context);
        }

        var principal = request.SourceIdentity is { } peer ? SpiffeId.Principal(peer) : null;
        if (authorization.Deny(security.Policies, request.Listener.Workload, new AuthorizationRequest(principal, context.Connection.RemoteIpAddress, security.Port, context.Request)) is not { } policy)
        {
            return next(context);
        }

        request.DeniedBy = policy;
        return Responses.AccessDenied(context, request);
    }
}
