using System.Diagnostics;
using System.Text;
using LocalMesh.Kubernetes.Import;

namespace LocalMesh.Bench;

/// <summary>
/// A team's Istio YAML: 1,000 documents (500 VirtualServices, 500 DestinationRules, for 500
/// services) read, checked and turned into rules; and 10,000 random mutations of the sample's
/// files, none of which may crash the loader.
/// </summary>
internal static class ConfigurationFilesBenchmark
{
    private const string Area = "Istio YAML";
    private const int Services = 500;
    private const int FuzzCases = 10_000;

    public static IReadOnlyList<Row> Run(int rounds)
    {
        var folder = Directory.CreateTempSubdirectory("localmesh-bench-yaml-");
        try
        {
            var workloads = WriteRules(folder.FullName);
            var times = new List<double>();
            for (var round = 0; round <= rounds; round++)
            {
                var stopwatch = Stopwatch.StartNew();
                var files = ConfigurationFiles.Load(["."], folder.FullName, "default");
                var findings = new List<ConfigFinding>(files.Findings);
                var rules = IstioImporter.Import(files, "default", workloads, findings);
                stopwatch.Stop();
                if (findings.Count > 0 || rules.Count != Services)
                {
                    throw new InvalidOperationException($"The generated files gave {findings.Count} findings and rules for {rules.Count} services: {findings.FirstOrDefault()}");
                }

                if (round > 0)
                {
                    times.Add(stopwatch.Elapsed.TotalMilliseconds); // round 0 warms up
                }
            }

            var (crashes, first) = Fuzz(folder.FullName, workloads);
            return
            [
                Row.AtMost(Area, $"load and check 1,000 documents ({Services} VirtualServices, {Services} DestinationRules), median of {rounds}", Percentiles.Median(times), 1000, "ms"),
                new(Area, $"inputs that crash the loader, of {FuzzCases:N0} random mutations of the sample's files{(first is null ? "" : $" (first: {first})")}",
                    crashes.ToString(System.Globalization.CultureInfo.InvariantCulture), "0", crashes == 0 ? "met" : "missed"),
            ];
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>A VirtualService (a header match, a weighted split, a timeout, retries) and a DestinationRule per service, one file each.</summary>
    private static Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> WriteRules(string folder)
    {
        var workloads = new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>>();
        for (var i = 0; i < Services; i++)
        {
            var name = $"service-{i}";
            workloads[name] = [new Dictionary<string, string> { ["app"] = name, ["version"] = "v1" }, new Dictionary<string, string> { ["app"] = name, ["version"] = "v2" }];
            File.WriteAllText(Path.Combine(folder, $"{name}.yaml"), $"""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata:
                  name: {name}
                spec:
                  host: {name}
                  trafficPolicy:
                    loadBalancer: {"{"}simple: LEAST_REQUEST{"}"}
                    outlierDetection: {"{"}consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s{"}"}
                  subsets:
                  - name: v1
                    labels: {"{"}version: v1{"}"}
                  - name: v2
                    labels: {"{"}version: v2{"}"}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: {name}
                spec:
                  hosts: [{name}]
                  http:
                  - match:
                    - headers:
                        end-user: {"{"}exact: jason{"}"}
                    route:
                    - destination: {"{"}host: {name}, subset: v2{"}"}
                  - route:
                    - destination: {"{"}host: {name}, subset: v1{"}"}
                      weight: 80
                    - destination: {"{"}host: {name}, subset: v2{"}"}
                      weight: 20
                    timeout: 2s
                    retries: {"{"}attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,connect-failure"{"}"}
                """);
        }

        return workloads;
    }

    /// <summary>Mutates the sample's files at random (a fixed seed) and loads each; counts what threw.</summary>
    private static (int Crashes, string? First) Fuzz(string folder, Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> workloads)
    {
        var seeds = Directory.EnumerateFiles(Path.Combine(Repository.Root, "samples", "istio"), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        var fuzz = Directory.CreateDirectory(Path.Combine(folder, "..", $"{Path.GetFileName(folder)}-fuzz"));
        var random = new Random(1201);
        const string alphabet = "-:# \n\t[]{}'\"|>&*!?,%07aZ";
        var (crashes, first) = (0, (string?)null);
        try
        {
            for (var index = 0; index < FuzzCases; index++)
            {
                var text = new StringBuilder(seeds[random.Next(seeds.Count)]);
                for (var edits = 1 + random.Next(6); edits > 0 && text.Length > 0; edits--)
                {
                    var at = random.Next(text.Length);
                    _ = random.Next(3) switch
                    {
                        0 => text.Remove(at, 1),
                        1 => text.Insert(at, alphabet[random.Next(alphabet.Length)]),
                        _ => text.Insert(at, text.ToString(at, Math.Min(random.Next(1, 30), text.Length - at))),
                    };
                }

                File.WriteAllText(Path.Combine(fuzz.FullName, "case.yaml"), text.ToString());
                try
                {
                    var files = ConfigurationFiles.Load(["case.yaml"], fuzz.FullName, "default");
                    var findings = new List<ConfigFinding>(files.Findings);
                    IstioImporter.Import(files, "default", workloads, findings);
                    IstioImporter.ImportSecurity(files, "default", findings);
                }
                catch (Exception error)
                {
                    crashes++;
                    first ??= $"{error.GetType().Name} in case {index}";
                }
            }
        }
        finally
        {
            fuzz.Delete(recursive: true);
        }

        return (crashes, first);
    }
}
