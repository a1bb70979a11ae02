namespace LocalMesh.Emulator.Configuration;

/// <summary>One rule: some <c>from</c> AND some <c>to</c> AND every <c>when</c> must match; an absent part matches anything.</summary>
public sealed record AuthorizationRule
{
    /// <summary>Who may be calling (any of them).</summary>
    public IReadOnlyList<AuthorizationSource>? From { get; init; }

    /// <summary>What is being called (any of them).</summary>
    public IReadOnlyList<AuthorizationOperation>? To { get; init; }

    /// <summary>Further conditions (all of them).</summary>
    public IReadOnlyList<AuthorizationCondition>? When { get; init; }
}
