namespace LocalMesh.Emulator.Configuration;

/// <summary>
/// A function revision's scaling, with Knative Serving's names: the spec's
/// <c>containerConcurrency</c> and the <c>autoscaling.knative.dev/*</c> annotations. <c>null</c>
/// means Knative's default, named below with the setting it comes from.
/// </summary>
public sealed record FunctionScaling
{
    /// <summary><c>container-concurrency-target-default</c>: the soft target of in-flight requests per instance.</summary>
    public const int DefaultTarget = 100;

    /// <summary><c>container-concurrency-target-percentage</c>: instances are sized to run at 70% of the target.</summary>
    public const double DefaultTargetUtilizationPercentage = 70;

    /// <summary><c>stable-window</c>: concurrency is averaged over this window; no traffic for that long scales to zero.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(60);

    /// <summary>The shortest and longest <c>window</c> Knative accepts.</summary>
    public static readonly TimeSpan MinWindow = TimeSpan.FromSeconds(6), MaxWindow = TimeSpan.FromHours(1);

    /// <summary><c>panic-window-percentage</c>: the panic window as a share of the stable window.</summary>
    public const double DefaultPanicWindowPercentage = 10;

    /// <summary><c>panic-threshold-percentage</c>: panic when the panic-window demand reaches twice the ready capacity.</summary>
    public const double DefaultPanicThresholdPercentage = 200;

    /// <summary>The autoscaler's <c>tick-interval</c>: how often it decides.</summary>
    internal static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(2);

    /// <summary><c>max-scale-up-rate</c>: at most this many times the ready instances in one decision.</summary>
    public const double MaxScaleUpRate = 1000;

    /// <summary><c>max-scale-down-rate</c>: at most halve the ready instances in one decision.</summary>
    public const double MaxScaleDownRate = 2;

    /// <summary>Knative's ceiling on <c>containerConcurrency</c>.</summary>
    public const int MaxContainerConcurrency = 1000;

    /// <summary>How many requests the activator holds while no instance can take them (local setting).</summary>
    public const int DefaultMaxQueuedRequests = 100;

    /// <summary>How long a request waits in the activator for an instance before a 503 (local setting).</summary>
    public static readonly TimeSpan DefaultActivationTimeout = TimeSpan.FromSeconds(30);

    /// <summary><c>containerConcurrency</c>: the hard limit of in-flight requests per instance; 0 is unlimited.</summary>
    public int ContainerConcurrency { get; init; }

    /// <summary><c>min-scale</c>: instances kept even without traffic (0 allows scale to zero).</summary>
    public int MinScale { get; init; }

    /// <summary><c>max-scale</c>: the most instances; 0 is unbounded.</summary>
    public int MaxScale { get; init; }

    /// <summary><c>initial-scale</c>: instances started when the revision is created (Knative's default is 1).</summary>
    public int InitialScale { get; init; } = 1;

    /// <summary><c>target</c>: the soft concurrency target per instance; <c>null</c> is <c>containerConcurrency</c> if set, else 100.</summary>
    public int? Target { get; init; }

    /// <summary><c>target-utilization-percentage</c>; <c>null</c> is 70.</summary>
    public double? TargetUtilizationPercentage { get; init; }

    /// <summary><c>window</c>: the stable window; <c>null</c> is 60 s.</summary>
    public TimeSpan? Window { get; init; }

    /// <summary><c>scale-down-delay</c>: a scale-down takes effect only after demand stayed low this long; <c>null</c> is none.</summary>
    public TimeSpan? ScaleDownDelay { get; init; }

    /// <summary><c>scale-to-zero-pod-retention-period</c>: the last instance stays at least this long after the last request.</summary>
    public TimeSpan? ScaleToZeroPodRetentionPeriod { get; init; }

    /// <summary>How many requests the activator holds while no instance can take them; beyond it, 503.</summary>
    public int MaxQueuedRequests { get; init; } = DefaultMaxQueuedRequests;

    /// <summary>How long a request may wait in the activator (a cold start included) before a 503.</summary>
    public TimeSpan ActivationTimeout { get; init; } = DefaultActivationTimeout;

    /// <summary>The concurrency one instance is sized for: target × utilization.</summary>
    public double TargetPerInstance =>
        Math.Min(Target ?? (ContainerConcurrency > 0 ? ContainerConcurrency : DefaultTarget), ContainerConcurrency > 0 ? ContainerConcurrency : int.MaxValue)
        * (TargetUtilizationPercentage ?? DefaultTargetUtilizationPercentage) / 100;

    /// <summary>The stable window in effect.</summary>
    public TimeSpan StableWindow => Window ?? DefaultWindow;

    /// <summary>The panic window in effect (at least one tick).</summary>
    public TimeSpan PanicWindow => TimeSpan.FromTicks(Math.Max(TickInterval.Ticks, (long)(StableWindow.Ticks * DefaultPanicWindowPercentage / 100)));
}
