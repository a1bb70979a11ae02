namespace LocalMesh.Kubernetes.Export;

internal sealed class IstioDelay
{
    public string FixedDelay { get; set; } = "";
    public IstioPercent? Percentage { get; set; }

    /// <summary>Deprecated whole-number percentage, still in older samples (Istio reads it when <see cref="Percentage"/> is unset).</summary>
    public int? Percent { get; set; }
}
