using System.Collections.Immutable;

namespace LocalMesh.Emulator.Configuration;

/// <summary>A Knative Eventing Broker: takes CloudEvents over HTTP and hands each to the triggers whose filter matches.</summary>
/// <param name="Name">The broker's name; it also sends as a mesh workload of that name.</param>
public sealed record BrokerConfig(string Name)
{
    /// <summary>Its triggers.</summary>
    public ImmutableArray<TriggerConfig> Triggers { get; init; } = [];

    /// <summary>The broker's delivery settings, for triggers that set none; <c>null</c> is Knative's broker default.</summary>
    public DeliverySpec? Delivery { get; init; }
}
