using System.Diagnostics;

namespace LocalMesh.EndToEnd.Tests;

[Collection(ProcessesCollection.Name)]
public sealed class ManifestTests
{
    private const string Regenerate = "dotnet run --project AppHost -- --publisher manifest --output-path ../aspire-manifest.json";

    [Fact]
    public async Task TheCommittedManifestIsWhatTheAppHostPublishesNow()
    {
        // Written beside the committed one, so the relative project paths inside are the same.
        var fresh = Path.Combine(Repository.Root, $".aspire-manifest.{Guid.NewGuid():N}.json");
        try
        {
            using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            using var process = Process.Start(Repository.AppHost("--publisher", "manifest", "--output-path", fresh))!;
            var output = process.StandardOutput.ReadToEndAsync(cancellation.Token);
            var errors = process.StandardError.ReadToEndAsync(cancellation.Token);
            await process.WaitForExitAsync(cancellation.Token);
            Assert.True(process.ExitCode == 0, $"Publishing the manifest failed ({process.ExitCode}):\n{await output}\n{await errors}");

            var committed = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "aspire-manifest.json"));
            var published = await File.ReadAllTextAsync(fresh);
            Assert.True(
                committed.ReplaceLineEndings() == published.ReplaceLineEndings(),
                $"aspire-manifest.json is stale: the AppHost's model changed. Regenerate it from the repository root with:\n  {Regenerate}");
        }
        finally
        {
            File.Delete(fresh);
        }
    }
}
