using LocalMesh.Kubernetes.Import;

namespace LocalMesh.Kubernetes.Tests;

/// <summary>
/// No input crashes the loader: the sample's own Istio files, mutated at random (a fixed seed, so
/// a failure repeats), each give findings or rules, never an exception.
/// </summary>
public sealed class ImportFuzzTests : IDisposable
{
    private const int Cases = 1_000;
    private static readonly string[] Insertions = [":", "-", " ", "\n", "[", "]", "{", "}", "'", "\"", "a", "7", "&a", "*a", "!!int ", "? ", "|", ">", ",", "#", "\t", "---\n", "%YAML 1.1\n", "<<: *a\n"];
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("localmesh-fuzz-");

    private static readonly Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> Workloads = new()
    {
        ["reviews"] = [new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v1" }],
        ["ratings"] = [new Dictionary<string, string> { ["app"] = "ratings", ["version"] = "v1" }],
        ["details"] = [new Dictionary<string, string> { ["app"] = "details", ["version"] = "v1" }],
        ["productpage"] = [new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }],
    };

    /// <summary>The seeds: every file of the sample's Istio folder.</summary>
    private static List<string> Seeds() =>
        [.. Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "samples", "istio"), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllText)];

    [Fact]
    public void AThousandMutatedFilesGiveFindingsNeverAnException()
    {
        var seeds = Seeds();
        Assert.NotEmpty(seeds);
        var random = new Random(20261201);
        var file = Path.Combine(_folder.FullName, "case.yaml");
        var failures = new List<string>();
        for (var index = 0; index < Cases; index++)
        {
            var text = Mutate(seeds[random.Next(seeds.Count)], random, mutations: 1 + random.Next(4));
            File.WriteAllText(file, text);
            try
            {
                var files = ConfigurationFiles.Load(["case.yaml"], _folder.FullName, "default");
                var findings = new List<ConfigFinding>(files.Findings);
                IstioImporter.Import(files, "default", Workloads, findings);
                IstioImporter.ImportSecurity(files, "default", findings);
                IstioImporter.ImportGateways(files, "default", Workloads.Keys, findings);
                KnativeImporter.ImportFunctions(files, new Dictionary<string, IReadOnlyList<string>> { ["sentiment"] = ["sentiment-00001", "sentiment-00002"] }, findings);
                KnativeImporter.ImportEventing(files, ["events"], findings);
                Assert.All(findings, finding => Assert.False(string.IsNullOrWhiteSpace(finding.Problem)));
            }
            catch (Exception error)
            {
                failures.Add($"case {index}: {error}\n{text}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {Cases} inputs crashed the loader; the first:\n{failures.FirstOrDefault()}");
    }

    internal static string Mutate(string text, Random random, int mutations)
    {
        var chars = text.ToList();
        for (var i = 0; i < mutations && chars.Count > 0; i++)
        {
            var at = random.Next(chars.Count);
            switch (random.Next(4))
            {
                case 0:
                    chars.RemoveAt(at);
                    break;
                case 1:
                    chars.InsertRange(at, Insertions[random.Next(Insertions.Length)]);
                    break;
                case 2:
                    // Duplicate a stretch (a repeated key, a repeated list item).
                    var length = Math.Min(random.Next(1, 40), chars.Count - at);
                    chars.InsertRange(at, chars.GetRange(at, length));
                    break;
                default:
                    chars[at] = "0aZ:- \n{}[]"[random.Next(11)];
                    break;
            }
        }

        return new string([.. chars]);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Dev.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Dev.sln not found above the test's folder.");
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
