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

/// <summary>How Knative retries a delivery before the event goes to the dead-letter sink.</summary>
public enum BackoffPolicy
{
    /// <summary>Each retry waits <c>backoffDelay × 2^n</c> (n = the retry's number, from 1).</summary>
    Exponential,

    /// <summary>Each retry waits <c>backoffDelay × n</c>.</summary>
    Linear,
}

/// <summary>Knative's <c>delivery</c>: retries, back-off and the dead-letter sink.</summary>
public sealed record DeliverySpec
{
    /// <summary>The broker default (<c>config-br-defaults</c>): 10 retries.</summary>
    public const int DefaultRetry = 10;

    /// <summary>The broker default back-off delay, <c>PT0.2S</c>.</summary>
    public static readonly TimeSpan DefaultBackoffDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Knative's default when no delivery is set anywhere: exponential back-off from 0.2 s, 10 retries, no sink.</summary>
    public static readonly DeliverySpec BrokerDefault = new() { Retry = DefaultRetry, BackoffPolicy = Configuration.BackoffPolicy.Exponential, BackoffDelay = DefaultBackoffDelay };

    /// <summary><c>retry</c>: retries after the first attempt.</summary>
    public int? Retry { get; init; }

    /// <summary><c>backoffPolicy</c>; <c>null</c> is exponential.</summary>
    public BackoffPolicy? BackoffPolicy { get; init; }

    /// <summary><c>backoffDelay</c> (ISO 8601 in YAML, e.g. <c>PT0.2S</c>).</summary>
    public TimeSpan? BackoffDelay { get; init; }

    /// <summary><c>timeout</c>: how long one attempt may take; <c>null</c> is no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary><c>deadLetterSink</c>: the mesh service that gets events whose delivery failed; <c>null</c> drops them.</summary>
    public string? DeadLetterSink { get; init; }

    /// <summary>The wait before retry number <paramref name="retry"/> (from 1).</summary>
    internal TimeSpan Backoff(int retry)
    {
        var delay = BackoffDelay ?? DefaultBackoffDelay;
        return BackoffPolicy == Configuration.BackoffPolicy.Linear
            ? delay * retry
            : delay * Math.Pow(2, retry);
    }
}
