namespace LocalMesh.Emulator.Configuration;

/// <summary>The checks of a function's scaling, with Knative's annotation names and bounds.</summary>
internal static class FunctionScalingValidator
{
    public static void Validate(FunctionScaling scaling, ConfigReport report)
    {
        const string Annotation = "autoscaling.knative.dev/";
        if (scaling.ContainerConcurrency is < 0 or > FunctionScaling.MaxContainerConcurrency)
        {
            report.Error("containerConcurrency", $"is {scaling.ContainerConcurrency}.", $"use 0 (unlimited) to {FunctionScaling.MaxContainerConcurrency}.");
        }

        if (scaling.MinScale < 0)
        {
            report.Error(Annotation + "min-scale", $"is {scaling.MinScale}.", "use 0 or more.");
        }

        if (scaling.MaxScale < 0)
        {
            report.Error(Annotation + "max-scale", $"is {scaling.MaxScale}.", "use 0 (unbounded) or more.");
        }
        else if (scaling.MaxScale > 0 && scaling.MinScale > scaling.MaxScale)
        {
            report.Error(Annotation + "min-scale", $"is {scaling.MinScale}, above max-scale {scaling.MaxScale}.", "make min-scale at most max-scale.");
        }

        if (scaling.InitialScale < 0 || (scaling.MaxScale > 0 && scaling.InitialScale > scaling.MaxScale))
        {
            report.Error(Annotation + "initial-scale", $"is {scaling.InitialScale}.", $"use 0 to {(scaling.MaxScale > 0 ? scaling.MaxScale : "max-scale")}.");
        }

        if (scaling.Target is < 1)
        {
            report.Error(Annotation + "target", $"is {scaling.Target}.", "use 1 or more in-flight requests per instance.");
        }

        if (scaling.TargetUtilizationPercentage is < 1 or > 100)
        {
            report.Error(Annotation + "target-utilization-percentage", $"is {scaling.TargetUtilizationPercentage}.", "use 1 to 100.");
        }

        if (scaling.Window is { } window && (window < FunctionScaling.MinWindow || window > FunctionScaling.MaxWindow))
        {
            report.Error(Annotation + "window", $"is {MeshDuration.Format(window)}.", "use 6s to 1h.");
        }

        if (scaling.ScaleDownDelay is { } delay && (delay < TimeSpan.Zero || delay > FunctionScaling.MaxWindow))
        {
            report.Error(Annotation + "scale-down-delay", $"is {MeshDuration.Format(delay)}.", "use 0s to 1h.");
        }

        if (scaling.ScaleToZeroPodRetentionPeriod is { } retention && retention < TimeSpan.Zero)
        {
            report.Error(Annotation + "scale-to-zero-pod-retention-period", $"is {MeshDuration.Format(retention)}.", "use 0s or more.");
        }

        if (scaling.MaxQueuedRequests < 1)
        {
            report.Error("activator.maxQueuedRequests", $"is {scaling.MaxQueuedRequests}.", "let the activator hold at least 1 request.");
        }

        if (scaling.ActivationTimeout <= TimeSpan.Zero)
        {
            report.Error("activator.timeout", $"is {MeshDuration.Format(scaling.ActivationTimeout)}.", "give requests some time to wait for an instance, e.g. 30s.");
        }
    }
}
