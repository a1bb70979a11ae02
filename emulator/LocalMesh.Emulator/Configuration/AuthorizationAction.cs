namespace LocalMesh.Emulator.Configuration;

/// <summary>What an <see cref="AuthorizationPolicy"/> does when one of its rules matches.</summary>
public enum AuthorizationAction
{
    /// <summary>Allow; once a workload has an ALLOW policy, only what one allows gets through.</summary>
    Allow,

    /// <summary>Deny, before any ALLOW is considered.</summary>
    Deny,

    /// <summary>Record the match; the decision is unchanged.</summary>
    Audit,
}
