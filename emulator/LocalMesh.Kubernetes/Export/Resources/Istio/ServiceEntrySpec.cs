namespace LocalMesh.Kubernetes.Export;

internal sealed class ServiceEntrySpec
{
    public List<string> Hosts { get; set; } = [];
    public List<string>? Addresses { get; set; }
    public List<IstioServiceEntryPort> Ports { get; set; } = [];
    public string? Location { get; set; }
    public string? Resolution { get; set; }
    public List<IstioWorkloadEntry>? Endpoints { get; set; }
    public object? WorkloadSelector { get; set; }
    public List<string>? ExportTo { get; set; }
    public List<string>? SubjectAltNames { get; set; }
}

internal sealed class IstioServiceEntryPort
{
    public int Number { get; set; }
    public string Protocol { get; set; } = "";
    public string Name { get; set; } = "";
    public int? TargetPort { get; set; }
}

internal sealed class IstioWorkloadEntry
{
    public string Address { get; set; } = "";
    public Dictionary<string, int>? Ports { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string? Network { get; set; }
    public string? Locality { get; set; }
    public int? Weight { get; set; }
    public string? ServiceAccount { get; set; }
}
