using System.Text.RegularExpressions;
using LocalMesh.Hosting;

namespace LocalMesh.Hosting.Tests;

/// <summary>
/// The verdict suite: each case of <c>Verdicts/*.cases.yaml</c> — a small folder a team might
/// keep, and the verdict istiod, Istio's analyzers, Knative's webhooks or the API server give it —
/// loaded alone next to a bookinfo-shaped app model. LocalMesh must give the same verdict: accept
/// (no error and no warning but the list of objects kept for the export), a warning naming the
/// same thing (an analyzer's code), or an error at the same field.
/// </summary>
public sealed partial class VerdictSuiteTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Verdicts");

    /// <summary>A case: its name, the verdict expected, the upstream rule, the YAML.</summary>
    private sealed record VerdictCase(string Name, string Verdict, string Expected, string Rule, string Yaml);

    private static readonly Lazy<IReadOnlyDictionary<string, VerdictCase>> All = new(() => Directory
        .EnumerateFiles(Folder, "*.cases.yaml")
        .Order(StringComparer.Ordinal)
        .SelectMany(file => Parse(File.ReadAllText(file).ReplaceLineEndings("\n")))
        .ToDictionary(@case => @case.Name));

    public static TheoryData<string> Cases => [.. All.Value.Keys];

    [Fact]
    public void TheSuiteHasAtLeast200CasesEachWithAVerdictAndTheRuleThatDecidesIt()
    {
        Assert.True(All.Value.Count >= 200, $"{All.Value.Count} cases");
        Assert.All(All.Value.Values, @case =>
        {
            Assert.Contains(@case.Verdict, new[] { "accept", "warn", "error" });
            Assert.NotEmpty(@case.Rule);
        });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LocalMeshGivesTheUpstreamVerdict(string name)
    {
        var @case = All.Value[name];
        var folder = Directory.CreateTempSubdirectory("localmesh-verdict-");
        try
        {
            var file = Path.Combine(folder.FullName, $"{name}.yaml");
            File.WriteAllText(file, @case.Yaml);
            var (errors, warnings) = Load(folder.FullName);
            var found = $"errors: [{string.Join(" | ", errors)}] warnings: [{string.Join(" | ", warnings)}]";
            switch (@case.Verdict)
            {
                case "accept":
                    Assert.True(errors.Count == 0 && warnings.All(IsCarriedList), $"{name} ({@case.Rule}) should be accepted; {found}");
                    break;
                case "warn":
                    Assert.True(errors.Count == 0 && warnings.Any(warning => warning.Contains(@case.Expected, StringComparison.Ordinal)),
                        $"{name} ({@case.Rule}) should load with a warning naming '{@case.Expected}'; {found}");
                    break;
                default:
                    Assert.True(errors.Any(error => error.Contains(@case.Expected, StringComparison.Ordinal)),
                        $"{name} ({@case.Rule}) should be refused with an error naming '{@case.Expected}'; {found}");
                    break;
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static bool IsCarriedList(string warning) => warning.StartsWith("Kept for the export, not emulated:", StringComparison.Ordinal);

    /// <summary>bookinfo's services (reviews in three versions), a function with two revisions and a broker, with the case's folder.</summary>
    private static (IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings) Load(string folder)
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh").WithConfigurationFiles(folder);
        mesh.AddService("productpage").WithWorkload(builder.AddExecutable("productpage-v1", "dotnet", "."));
        var reviews = mesh.AddService("reviews");
        foreach (var version in new[] { "v1", "v2", "v3" })
        {
            reviews.WithWorkload(builder.AddExecutable($"reviews-{version}", "dotnet", "."), version: version);
        }

        mesh.AddService("ratings").WithWorkload(builder.AddExecutable("ratings-v1", "dotnet", "."));
        mesh.AddService("details").WithWorkload(builder.AddExecutable("details-v1", "dotnet", "."));
        mesh.AddFunction<FunctionProject>("sentiment").WithRevision(new Dictionary<string, string>());
        mesh.AddBroker("events");
        try
        {
            var compiled = MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource);
            return ([], compiled.Warnings);
        }
        catch (MeshModelException error)
        {
            return ([.. error.Errors.Select(e => $"{e.Resource}: {e.Field}: {e.Problem}")], error.Warnings);
        }
    }

    private sealed class FunctionProject : IProjectMetadata
    {
        public string ProjectPath => Path.Combine(Path.GetTempPath(), "no-such-function", "Fn.csproj");
    }

    private static IEnumerable<VerdictCase> Parse(string text)
    {
        foreach (var block in CaseStart().Split(text).Where(block => block.StartsWith("# case:", StringComparison.Ordinal)))
        {
            var lines = block.Split('\n');
            string Header(string key) => lines.TakeWhile(line => line.StartsWith('#')).FirstOrDefault(line => line.StartsWith($"# {key}:", StringComparison.Ordinal))?[(key.Length + 3)..].Trim() ?? "";
            var expect = Header("expect");
            var space = expect.IndexOf(' ');
            yield return new VerdictCase(
                Header("case"),
                space < 0 ? expect : expect[..space],
                space < 0 ? "" : expect[(space + 1)..],
                Header("rule"),
                string.Join('\n', lines.SkipWhile(line => line.StartsWith('#'))).Trim() + "\n");
        }
    }

    [GeneratedRegex("(?m)^(?=# case: )")]
    private static partial Regex CaseStart();
}
