using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>A Knative Eventing Trigger: events whose attributes match <see cref="Filter"/> go to <see cref="Subscriber"/>.</summary>
/// <param name="Name">The trigger's name.</param>
/// <param name="Subscriber">The mesh service (or function) events are delivered to.</param>
public sealed record TriggerConfig(string Name, string Subscriber)
{
    /// <summary>Compares triggers by what they say, their filters by their attributes (not by instance).</summary>
    internal static readonly IEqualityComparer<TriggerConfig> Comparer = EqualityComparer<TriggerConfig>.Create(
        (a, b) => a is null || b is null ? a == b
            : a with { Filter = ImmutableDictionary<string, string>.Empty } == b with { Filter = ImmutableDictionary<string, string>.Empty }
              && a.Filter.Count == b.Filter.Count && !a.Filter.Except(b.Filter).Any(),
        trigger => HashCode.Combine(trigger.Name, trigger.Subscriber));

    /// <summary><c>filter.attributes</c>: each attribute must equal the value exactly; empty matches every event.</summary>
    public ImmutableDictionary<string, string> Filter { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The path events are posted to on the subscriber (<c>subscriber.uri</c>); <c>/</c> when unset.</summary>
    public string? Path { get; init; }

    /// <summary>The trigger's delivery settings; <c>null</c> takes the broker's.</summary>
    public DeliverySpec? Delivery { get; init; }
}
