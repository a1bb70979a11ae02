using System.Diagnostics;
using System.Text;
using Aspire.Hosting;
using LocalMesh.Emulator;
using LocalMesh.Emulator.State;
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

    public static async Task<IReadOnlyList<Row>> RunAsync(int rounds)
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
            var reloads = await ReloadsAsync(rounds * 4);
            return
            [
                Row.AtMost(Area, $"load and check 1,000 documents ({Services} VirtualServices, {Services} DestinationRules), median of {rounds}", Percentiles.Median(times), 1000, "ms"),
                Row.AtMost(Area, $"a saved file in force (save → new snapshot, through the files watcher), median of {reloads.Count}", Percentiles.Median(reloads), 1000, "ms"),
                Row.AtMost(Area, $"a saved file in force, slowest of {reloads.Count}", reloads.Max(), 1000, "ms"),
                new(Area, $"inputs that crash the loader, of {FuzzCases:N0} random mutations of the sample's files{(first is null ? "" : $" (first: {first})")}",
                    crashes.ToString(System.Globalization.CultureInfo.InvariantCulture), "0", crashes == 0 ? "met" : "missed"),
            ];
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// How long a saved file takes to be in force: the mesh's own files watcher, compiler and data
    /// plane on loopback (everything but the orchestrator), a weight changed in a VirtualService
    /// each time, timed from the write to the snapshot that has it.
    /// </summary>
    private static async Task<List<double>> ReloadsAsync(int saves)
    {
        var folder = Directory.CreateTempSubdirectory("localmesh-bench-reload-");
        try
        {
            var file = Path.Combine(folder.FullName, "reviews.yaml");
            File.WriteAllText(file, Split(0));
            var builder = Aspire.Hosting.DistributedApplication.CreateBuilder();
            var mesh = builder.AddMesh("mesh").WithConfigurationFiles(folder.FullName);
            mesh.AddService("reviews")
                .WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", "."), version: "v1")
                .WithWorkload(builder.AddExecutable("reviews-v2", "dotnet", "."), version: "v2");
            var model = new Aspire.Hosting.ApplicationModel.DistributedApplicationModel(builder.Resources);
            var compiled = Aspire.Hosting.MeshModelCompiler.Compile(model, mesh.Resource);
            await using var server = await MeshServer.StartAsync(compiled.Config);
            var control = new Aspire.Hosting.MeshControl(server);
            using var watcher = new Hosting.ConfigurationFilesWatcher(compiled.Topology, control, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, (_, _) => { }, alertRules: null);
            var times = new List<double>();
            for (var save = 1; save <= saves; save++)
            {
                var weight = save;
                using var inForce = new ManualResetEventSlim();
                void Changed(MeshSnapshot snapshot)
                {
                    if (snapshot.Config.Services.Single(service => service.Name == "reviews").Http[0].Route![1].Weight == weight)
                    {
                        inForce.Set();
                    }
                }

                server.State.Changed += Changed;
                var stopwatch = Stopwatch.StartNew();
                File.WriteAllText(file, Split(weight));
                if (!inForce.Wait(TimeSpan.FromSeconds(10)))
                {
                    throw new InvalidOperationException($"Save {save} was not in force within 10 s.");
                }

                times.Add(stopwatch.Elapsed.TotalMilliseconds);
                server.State.Changed -= Changed;
            }

            return times;
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        static string Split(int v2) => $"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {"{"}name: reviews{"}"}
            spec:
              host: reviews
              subsets:
              - {"{"}name: v1, labels: {"{"}version: v1{"}"}{"}"}
              - {"{"}name: v2, labels: {"{"}version: v2{"}"}{"}"}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {"{"}name: reviews{"}"}
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {"{"}host: reviews, subset: v1{"}"}
                  weight: 100
                - destination: {"{"}host: reviews, subset: v2{"}"}
                  weight: {v2}
            """;
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
                    IstioImporter.ImportGateways(files, "default", workloads.Keys, findings);
                    KnativeImporter.ImportFunctions(files, new Dictionary<string, IReadOnlyList<string>> { ["sentiment"] = ["sentiment-00001", "sentiment-00002"] }, findings);
                    KnativeImporter.ImportEventing(files, ["events"], findings);
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
