using Aspire.Hosting.Pipelines;
using LocalMesh.Kubernetes.Export;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// The mesh's steps in Aspire's pipeline:
/// <c>dotnet run --project AppHost -- --operation publish --step k8s-export --output-path deploy</c>
/// writes the kustomize folder.
/// </summary>
internal static class KubernetesPipelineSteps
{
    /// <summary>Writes the model as a kustomize folder to the output path.</summary>
    public const string Export = "k8s-export";

    public static void Add(IDistributedApplicationPipeline pipeline)
    {
        pipeline.AddStep(Export, ExportAsync);
    }

    private static async Task ExportAsync(PipelineStepContext context)
    {
        var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
        var model = await KubernetesModelBuilder.BuildAsync(context.Model, context.ExecutionContext, context.CancellationToken);
        var result = KubernetesExport.Export(model);
        await result.WriteAsync(output, context.CancellationToken);

        foreach (var warning in result.Warnings)
        {
            context.Logger.LogWarning("Export: {Warning}", warning);
        }

        var objects = result.Files.Where(file => file.Path.StartsWith("base/", StringComparison.Ordinal) && !file.Path.EndsWith("kustomization.yaml", StringComparison.Ordinal)).Sum(file => file.Objects.Count);
        context.Logger.LogInformation(
            "Wrote {Objects} objects to {Base} and the overlays {Overlays}; render one with: kubectl kustomize {Overlay}",
            objects, Path.Combine(output, "base"), string.Join(", ", result.Overlays), Path.Combine(output, "overlays", "development"));
    }
}
